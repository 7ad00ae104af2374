"""Suspending an account in a real browser: the form's errors, the account's
page, then its holder's login, which says why and until when."""

import pytest
from playwright.sync_api import expect

from users.models import Suspension
from users.tests.browser.test_page_states import sign_in
from users.tests.factories import PASSWORD, UserFactory, allow_staff_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_suspend_page_then_the_login_message(
    browser, page, live_server, axe, screenshot
):
    zoe = UserFactory(username="zoe", full_name="Zoë Quinn")
    allow_staff_login(zoe)
    sign_in(page, live_server, "superuser")
    page.goto(f"/users/{zoe.pk}/")
    page.get_by_role("link", name="Suspend").click()
    expect(page.get_by_role("heading", name="Suspend zoe")).to_be_visible()
    page.get_by_label("Reason").select_option("other")
    page.get_by_label("Until").fill("2001-01-01T10:00")
    page.get_by_role("button", name="Suspend").click()
    expect(page.get_by_text("this one has passed")).to_be_visible()
    expect(page.get_by_text("Say which reason.")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "suspend-errors")

    page.get_by_label("Reason").select_option("security")
    page.get_by_label("Until").fill("2099-06-01T09:30")
    page.get_by_label("Message at login").fill("Please call the help desk.")
    page.get_by_role("button", name="Suspend").click()
    expect(page.get_by_text("zoe is suspended.")).to_be_visible()
    expect(page.get_by_role("heading", name="Suspension")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "suspended-account")
    assert Suspension.objects.get(user=zoe).reason == "security"

    holder = browser.new_context(base_url=live_server.url, bypass_csp=True).new_page()
    try:
        holder.goto("/accounts/login/")
        holder.get_by_label("Username or email").fill("zoe")
        holder.get_by_label("Password").fill("wrong password")
        holder.get_by_role("button", name="Log in").click()
        expect(holder.get_by_text("Please enter a correct")).to_be_visible()
        holder.get_by_label("Password").fill(PASSWORD)
        holder.get_by_role("button", name="Log in").click()
        expect(holder.get_by_text("suspended until 1 June 2099")).to_be_visible()
        expect(holder.get_by_text("Please call the help desk.")).to_be_visible()
        assert axe(holder) == []
        screenshot(holder, "login-suspended")
    finally:
        holder.context.close()
