"""Lockouts in a real browser: the 429 page, the refusal at the staff login, and
the lockouts page with its lift, each state checked with axe-core."""

import pytest
from django.test import Client
from playwright.sync_api import expect

from users.signin.forms import NO_STAFF_ACCESS
from users.tests.factories import PASSWORD, SuperuserFactory, UserFactory, staff_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, username: str, password: str = PASSWORD) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def lock_out(login: str, ip: str, times: int = 5) -> None:
    """Failed logins from another client, straight to the application."""
    client = Client(REMOTE_ADDR=ip)
    for _ in range(times):
        client.post("/accounts/login/", {"username": login, "password": "wrong"})


def test_the_lockout_page_says_when_and_who_can_help(page, axe, screenshot):
    UserFactory(username="ada")
    for _ in range(5):
        log_in(page, "ada", "wrong")
    expect(page.get_by_role("heading", name="Too many failed logins")).to_be_visible()
    expect(page.get_by_text("Try again in 15")).to_contain_text("minutes")
    expect(page.get_by_text("a staff member can lift the lockout")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "locked-out")


def test_an_account_without_staff_access_is_told_why(page, axe):
    UserFactory(username="ada")
    log_in(page, "ada")
    expect(page.get_by_role("alert")).to_contain_text(NO_STAFF_ACCESS)
    assert "/accounts/login/" in page.url
    assert axe(page) == []


def test_list_lift_and_empty_lockouts(page, axe, screenshot):
    SuperuserFactory(username="root")
    staff_with("view_user", username="ada")
    lock_out("ADA", "198.51.100.1")
    lock_out("ghost", "198.51.100.2")
    log_in(page, "root")
    page.get_by_role("link", name="Lockouts").click()
    expect(page.get_by_role("heading", name="Lockouts")).to_be_visible()
    table = page.get_by_role("table")
    expect(table.get_by_role("row")).to_have_count(3)  # header + 2
    expect(table).to_contain_text("198.51.100.1")
    expect(table).to_contain_text("login ghost")
    assert axe(page) == []
    screenshot(page, "lockouts")

    page.get_by_role("button", name="Lift the lockout of ada from 198.51.100.1").click()
    expect(
        page.get_by_text("Lifted the lockout of ada (5 failed logins).")
    ).to_be_visible()
    expect(table.get_by_role("row")).to_have_count(2)
    assert axe(page) == []
    assert (
        Client(REMOTE_ADDR="198.51.100.1")
        .post("/accounts/login/", {"username": "ada", "password": PASSWORD})
        .status_code
        == 302
    )

    page.get_by_role("button", name="Lift the lockout of login ghost").click()
    expect(page.get_by_text("No lockouts in force.")).to_be_visible()
    assert axe(page) == []


def test_a_lockout_above_you_is_shown_but_not_offered(page, axe):
    SuperuserFactory(username="root")
    staff_with("view_user", "change_user", username="helpdesk")
    lock_out("root", "198.51.100.1")
    log_in(page, "helpdesk")
    page.goto("/users/lockouts/")
    expect(page.get_by_role("table")).to_contain_text("root")
    expect(page.get_by_text("Only a superuser can lift it")).to_be_visible()
    expect(page.get_by_role("button", name="Lift", exact=False)).to_have_count(0)
    assert axe(page) == []
