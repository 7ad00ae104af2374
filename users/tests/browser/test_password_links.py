"""The page an invitation opens, in a real browser: choose a password, done."""

import pytest
from playwright.sync_api import expect

from users.mail import password_link
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_choosing_a_password_from_an_invitation(page, live_server, axe, screenshot):
    account = UserFactory(username="grace", password=None)
    assert not account.has_usable_password()
    page.goto(password_link(account, live_server.url))
    expect(page.get_by_role("heading", name="Set your password")).to_be_visible()
    assert "set-password" in page.url  # the token left the address bar
    assert axe(page) == []
    screenshot(page, "password-link")

    page.get_by_label("New password:", exact=True).fill("short")
    page.get_by_label("New password confirmation").fill("short")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_text("This password is too short")).to_be_visible()
    assert axe(page) == []

    page.get_by_label("New password:", exact=True).fill("a brand new passphrase 91")
    page.get_by_label("New password confirmation").fill("a brand new passphrase 91")
    page.get_by_role("button", name="Set password").click()
    expect(page.get_by_role("heading", name="Password set")).to_be_visible()
    assert axe(page) == []
    account.refresh_from_db()
    assert account.check_password("a brand new passphrase 91")
