"""Erasing an account in a real browser: the typed confirmation, then the
account under its pseudonyms."""

import pytest
from playwright.sync_api import expect

from users.models import User
from users.tests.browser.test_page_states import sign_in
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_erasing_with_a_typed_confirmation(page, live_server, axe, screenshot):
    zoe = UserFactory(username="zoe", full_name="Zoë Quinn")
    sign_in(page, live_server, "superuser")
    page.goto(f"/users/{zoe.pk}/delete/")
    page.get_by_role("link", name="Erasing its personal data").click()
    expect(page.get_by_role("heading", name="Erase the personal data")).to_be_visible()
    page.get_by_label("Basis").select_option("request")
    page.get_by_label("Type the username to confirm").fill("Zoe")
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.get_by_text("This is not the username")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "erase-confirm-error")

    page.get_by_label("Type the username to confirm").fill("zoe")
    page.get_by_role("button", name="Erase personal data").click()
    expect(page.get_by_text("Erased the personal data")).to_be_visible()
    assert axe(page) == []
    erased = User.objects.get(pk=zoe.pk)
    assert erased.username.startswith("u-")
    expect(page.get_by_role("heading", name=erased.full_name)).to_be_visible()
