"""Search as you type on the list: the results follow the search box and the
filters without a page load, the address bar follows, bulk ticking still
works on the new rows, refusals show beside the form; axe on each state."""

import pytest
from playwright.sync_api import expect

from users.tests.factories import PASSWORD, SuperuserFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def list_page(page, transactional_db):
    UserFactory.create_batch(3, full_name="Someone Else")
    for n in range(4):
        UserFactory(username=f"lina{n}", full_name=f"Lina Test{n}", is_active=n != 3)
    SuperuserFactory(username="root")
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    # Set on this document: still there afterwards means no page was loaded.
    page.evaluate("() => { window.sameDocument = true; }")
    return page


def rows(page):
    return page.locator("table.users tbody th")


def test_typing_searches_without_loading_a_page(list_page, axe):
    page = list_page
    search = page.get_by_label("Search", exact=True)
    search.press_sequentially("lina", delay=40)
    expect(rows(page)).to_have_count(4)
    expect(page).to_have_url("/users/?q=lina", ignore_case=True)
    expect(page.locator("#live-status")).to_contain_text("4 users")
    assert page.evaluate("() => window.sameDocument") is True
    expect(search).to_be_focused()
    expect(search).to_have_value("lina")
    assert axe(page) == []
    # A filter narrows at once too.
    page.get_by_label("Active", exact=True).select_option("false")
    expect(rows(page)).to_have_text(["lina3"])
    expect(page).to_have_url("/users/?q=lina&is_active=false", ignore_case=True)
    # The new rows can be ticked as before.
    search.fill("lina")
    page.get_by_label("Active", exact=True).select_option("")
    expect(rows(page)).to_have_count(4)
    page.get_by_label("Select every account on this page").check()
    expect(page.locator("#bulk-ticked")).to_have_text("(4 ticked)")
    assert page.evaluate("() => window.sameDocument") is True
    # Reloading shows the same search.
    page.reload()
    expect(rows(page)).to_have_count(4)


def test_a_refused_search_is_said_beside_the_form(list_page, axe):
    page = list_page
    page.get_by_label("Created on or after").fill("2025-02-01")
    page.get_by_label("Created on or before").fill("2025-01-01")
    alert = page.locator("form.search-form .form-errors")
    expect(alert).to_contain_text("Must be on or after")
    expect(page.locator("#live-status")).to_contain_text("nothing was searched")
    before = page.get_by_label("Created on or before")
    expect(before).to_have_attribute("aria-invalid", "true")
    expect(page.locator("table.users")).to_have_count(0)
    assert axe(page) == []
    before.fill("2025-03-01")
    expect(alert).to_have_count(0)
    expect(page.locator(".count")).to_contain_text("0 users")
    assert page.evaluate("() => window.sameDocument") is True
