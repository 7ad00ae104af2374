"""Pages that refuse or recover, in a real browser, checked with axe-core: a
form sent in another charset, a form whose CSRF token is gone, a page link
whose boundary row was deleted."""

import pytest
from playwright.sync_api import expect

from users.models import User
from users.tests.factories import PASSWORD, SuperuserFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page) -> None:
    SuperuserFactory(username="root")
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()


def test_a_form_sent_in_another_charset_gets_the_400_page(page, axe):
    def as_latin_1(route):
        headers = route.request.headers | {
            "content-type": "application/x-www-form-urlencoded; charset=latin-1"
        }
        route.continue_(headers=headers)

    page.goto("/accounts/login/")
    page.route("**/accounts/login/", as_latin_1)
    page.get_by_label("Username or email").fill("someone")
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading")).to_have_text("That request does not make sense")
    expect(page.locator(".error-detail")).to_contain_text("sent as UTF-8")
    assert axe(page) == []


def test_a_form_without_its_security_token_gets_our_403_page(page, axe):
    page.goto("/accounts/login/")
    page.context.clear_cookies()
    page.get_by_label("Username or email").fill("someone")
    page.get_by_label("Password").fill("secret")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".error-detail")).to_contain_text(
        "security token is missing or out of date"
    )
    assert axe(page) == []


def test_a_page_link_whose_row_was_deleted_starts_again(page, axe):
    log_in(page)
    UserFactory.create_batch(30)
    page.goto("/users/?ordering=username")
    boundary = page.locator("table.users tbody th").last.inner_text()
    User.objects.filter(username=boundary).delete()
    page.get_by_role("link", name="Next").first.click()  # above and below the table
    expect(
        page.get_by_text("has been deleted, so the list starts again")
    ).to_be_visible()
    expect(page.get_by_role("link", name="Previous")).to_have_count(0)
    assert axe(page) == []
