"""Sessions you can see and end, in a real browser: yours, an account's, ending
one, signing out everywhere. Every state passes axe."""

import pytest
from playwright.sync_api import expect

from users.tests.factories import (
    PASSWORD,
    SuperuserFactory,
    UserFactory,
    allow_staff_login,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


@pytest.fixture
def second_browser(browser, live_server):
    """Another browser (its own cookies), for a second session."""
    context = browser.new_context(base_url=live_server.url, bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def session_rows(page):
    return page.locator("table.sessions tbody tr")


def signed_out(page) -> bool:
    page.goto("/users/me/sessions/")
    return "/accounts/login/" in page.url


def test_my_sessions_page_and_ending_another_session(
    page, second_browser, axe, screenshot
):
    SuperuserFactory(username="root")
    sign_in(second_browser, "root")
    sign_in(page, "root")
    page.get_by_role("link", name="Your sessions").click()
    expect(page.get_by_role("heading", name="Your sessions", level=1)).to_be_visible()
    expect(session_rows(page)).to_have_count(2)
    current = page.locator("table.sessions tr.current")
    expect(current).to_contain_text("This session")
    expect(current).to_contain_text("127.0.0.1")
    expect(current).to_contain_text("Chrome")
    assert axe(page) == []
    screenshot(page, "my-sessions")

    other = page.locator("table.sessions tbody tr:not(.current)")
    other.get_by_role("button", name="End session").click()
    expect(page.get_by_text("Ended the session:")).to_be_visible()
    expect(session_rows(page)).to_have_count(1)
    assert axe(page) == []
    assert signed_out(second_browser)
    assert not signed_out(page)


def test_ending_this_session_signs_you_out(page, second_browser, axe):
    allow_staff_login(UserFactory(username="plain"))  # a viewer: own sessions only
    sign_in(second_browser, "plain")
    sign_in(page, "plain")
    page.goto("/users/me/sessions/")
    page.locator("table.sessions tr.current").get_by_role(
        "button", name="Sign out"
    ).click()
    expect(
        page.get_by_text("You ended this session and are signed out.")
    ).to_be_visible()
    assert "/accounts/login/" in page.url
    assert axe(page) == []
    assert not signed_out(second_browser)


def test_sign_out_everywhere(page, second_browser, axe):
    SuperuserFactory(username="root")
    sign_in(second_browser, "root")
    sign_in(page, "root")
    page.goto("/users/me/sessions/")
    page.get_by_role("button", name="Sign out everywhere").click()
    expect(
        page.get_by_text("Signed out everywhere: 2 session(s) ended.")
    ).to_be_visible()
    assert "/accounts/login/" in page.url
    assert axe(page) == []
    assert signed_out(second_browser)
    assert signed_out(page)


def test_a_users_page_with_sessions(page, second_browser, axe, screenshot):
    SuperuserFactory(username="root")
    target = UserFactory(username="ada")
    allow_staff_login(target)
    sign_in(second_browser, "ada")
    sign_in(page, "root")
    page.goto(f"/users/{target.pk}/")
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
    expect(session_rows(page)).to_have_count(1)
    expect(session_rows(page).first).to_contain_text("127.0.0.1")
    expect(page.get_by_text("This session")).to_have_count(0)
    assert axe(page) == []
    screenshot(page, "user-detail-sessions")
    page.emulate_media(color_scheme="dark")
    assert axe(page) == []
    page.emulate_media(color_scheme="light")

    page.get_by_role("button", name="End all sessions").click()
    expect(page.get_by_text("Ended all sessions of ada (1).")).to_be_visible()
    expect(page.get_by_text("No active sessions.")).to_be_visible()
    assert axe(page) == []
    assert signed_out(second_browser)
