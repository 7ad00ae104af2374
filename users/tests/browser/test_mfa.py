"""Second factors through a real browser: setting up an authenticator app at
the first login, passing it (and failing: wrong, replayed, too fast), a
recovery code, the security page, and a reset by another staff member. Codes
are computed from the secret as an authenticator app computes them."""

import base64
import time

import pytest
from playwright.sync_api import expect

from users import factors
from users.tests.factories import PASSWORD, SuperuserFactory, staff_with
from users.tests.mfa import code_for, enrol, wrong_code_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("mfa_required"),
]
CODE = "Authentication code"


def log_in(page, username: str, next_url: str = "/users/") -> None:
    page.goto(next_url)
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def pass_code(page, code: str) -> None:
    page.get_by_label(CODE).fill(code)
    page.get_by_role("button", name="Verify").click()


def test_setting_up_at_the_first_login(page, axe, screenshot):
    SuperuserFactory(username="root")
    log_in(page, "root")
    expect(
        page.get_by_role("heading", name="Set up two-factor authentication")
    ).to_be_visible()
    expect(page.get_by_role("img", name="QR code")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "mfa-setup")
    secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
    key = base64.b32decode(secret)

    page.get_by_label("Code from the app").fill("12345")
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.locator("#id_code_error")).to_contain_text("Enter the 6 digits")
    assert axe(page) == []

    page.get_by_label("Code from the app").fill(code_for(key))
    page.get_by_role("button", name="Turn on two-factor authentication").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    assert axe(page) == []
    screenshot(page, "mfa-recovery-codes")
    page.get_by_role("link", name="I have saved my recovery codes").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()


def test_passing_failing_and_recovering(page, axe, screenshot):
    root = SuperuserFactory(username="root")
    device, recovery_codes = enrol(root)
    log_in(page, "root", f"/users/{root.pk}/")
    expect(
        page.get_by_role("heading", name="Two-factor authentication")
    ).to_be_visible()
    assert axe(page) == []
    screenshot(page, "mfa-verify")

    pass_code(page, wrong_code_for(device))
    expect(page.locator("#id_code_error")).to_contain_text("That code is not valid")
    assert axe(page) == []
    time.sleep(1.1)  # past the 1 s the first wrong code costs
    pass_code(page, wrong_code_for(device))
    expect(page.locator("#id_code_error")).to_contain_text("That code is not valid")
    # Now 2 s pass before the next try counts; nothing slow runs in between,
    # so that a loaded machine still answers within them.
    code = code_for(device)
    pass_code(page, code)  # at once: slowed down
    expect(page.locator("#id_code_error")).to_contain_text("Too many wrong codes")
    assert axe(page) == []
    time.sleep(2.1)
    pass_code(page, code)
    expect(page).to_have_title("root · noogh")  # the page asked for

    page.goto("/users/")
    page.get_by_role("button", name="Log out").click()
    log_in(page, "root")
    pass_code(page, code)  # the same code again: refused
    expect(page.locator("#id_code_error")).to_contain_text("already used")
    assert axe(page) == []
    pass_code(page, recovery_codes[0])
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    assert factors.status(root).recovery_codes_left == 9


def test_the_security_page_gives_new_recovery_codes(page, axe):
    root = SuperuserFactory(username="root")
    device, _ = enrol(root)
    log_in(page, "root")
    pass_code(page, code_for(device))
    page.get_by_role("link", name="Security").click()
    expect(page.get_by_role("heading", name="Security")).to_be_visible()
    expect(page.get_by_text("10 recovery codes left")).to_be_visible()
    assert axe(page) == []
    page.get_by_role("button", name="Get new recovery codes").click()
    expect(page.locator(".recovery-codes li")).to_have_count(10)
    page.goto("/accounts/mfa/")
    page.get_by_role("link", name="Set up a new authenticator app").click()
    expect(
        page.get_by_role("heading", name="Set up a new authenticator app")
    ).to_be_visible()
    assert axe(page) == []


def test_a_reset_by_another_staff_member(page, axe, screenshot):
    actor = staff_with("view_user", "change_user")
    device, _ = enrol(actor)
    target = staff_with("view_user")
    enrol(target)
    log_in(page, actor.username)
    pass_code(page, code_for(device))
    page.goto(f"/users/{target.pk}/")
    expect(
        page.get_by_text("Enrolled (authenticator app), 10 recovery")
    ).to_be_visible()
    page.get_by_role("link", name="Reset two-factor").click()
    expect(
        page.get_by_role(
            "heading", name=f"Reset two-factor authentication of {target.username}?"
        )
    ).to_be_visible()
    assert axe(page) == []
    screenshot(page, "mfa-reset-confirm")
    page.get_by_role("button", name="Yes, reset two-factor authentication").click()
    expect(
        page.get_by_text(f"Two-factor authentication of {target.username} reset")
    ).to_be_visible()
    expect(page.get_by_text("Not enrolled", exact=True)).to_be_visible()
    assert axe(page) == []
    assert not factors.is_enrolled(target)
