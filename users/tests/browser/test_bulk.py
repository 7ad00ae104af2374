"""Bulk actions from the list in a real browser: tick, see the result, undo;
all matching through the confirmation page; the keyboard alone; axe on
every state."""

import pytest
from playwright.sync_api import expect

from users.models import AuditEvent, User
from users.tests.factories import PASSWORD, SuperuserFactory, UserFactory, staff_with

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()


@pytest.fixture
def lina(transactional_db):
    UserFactory.create_batch(3, full_name="Someone Else")
    return [
        UserFactory(username=f"lina{n}", full_name=f"Lina Test{n}") for n in range(5)
    ]


@pytest.fixture
def root_page(page, lina):
    SuperuserFactory(username="root")
    sign_in(page, "root")
    page.goto("/users/?q=lina")
    return page


def active(usernames) -> list[bool]:
    return [User.objects.get(username=name).is_active for name in usernames]


def test_tick_deactivate_and_undo(root_page, axe, screenshot):
    # A few ticked accounts: no confirmation page, the result offers Undo.
    page = root_page
    assert axe(page) == []
    page.get_by_label("Select lina1").check()
    page.get_by_label("Select lina3").check()
    expect(page.locator("#bulk-ticked")).to_have_text("(2 ticked)")
    screenshot(page, "bulk-list")
    page.get_by_role("button", name="Deactivate", exact=True).click()
    status = page.get_by_role("status")
    expect(status).to_have_text("Deactivated 2 accounts.")
    expect(status).to_be_focused()
    assert active(["lina1", "lina3", "lina2"]) == [False, False, True]
    assert axe(page) == []
    screenshot(page, "bulk-result")
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Activated 2 accounts, undoing an earlier bulk change"
    )
    expect(page.get_by_role("button", name="Undo")).to_have_count(0)
    assert active(["lina1", "lina3"]) == [True, True]
    assert axe(page) == []
    page.get_by_role("link", name="Back to the list").click()
    expect(page).to_have_url("/users/?q=lina", ignore_case=True)


def test_all_matching_with_the_confirmation_page(root_page, axe, screenshot, settings):
    settings.BULK_AT_ONCE_UP_TO = 3  # more than this: confirmed first
    page = root_page
    page.get_by_label("All 5 users matching this search").check()
    page.get_by_role("button", name="Deactivate", exact=True).click()
    expect(page.get_by_role("heading", name="Deactivate 5 accounts?")).to_be_visible()
    expect(
        page.get_by_text("Every account that matches the search now")
    ).to_be_visible()
    assert User.objects.search("lina").active().count() == 5  # nothing yet
    assert axe(page) == []
    screenshot(page, "bulk-confirm")
    page.get_by_role("button", name="Deactivate 5 accounts").click()
    expect(page.get_by_role("status")).to_have_text("Deactivated 5 accounts.")
    assert User.objects.search("lina").active().count() == 0
    assert User.objects.filter(full_name="Someone Else", is_active=True).count() == 3
    event = AuditEvent.objects.get(action=AuditEvent.Action.BULK)
    assert event.changes["scope"] == "matching" and event.changes["filters"] == "q=lina"


def test_select_every_account_on_the_page_and_per_row_action(root_page, axe):
    page = root_page
    page.get_by_label("Select every account on this page").check()
    expect(page.locator("#bulk-ticked")).to_have_text("(5 ticked)")
    page.get_by_label("Select lina0").uncheck()
    header = page.get_by_label("Select every account on this page")
    assert header.evaluate("box => box.indeterminate")
    assert axe(page) == []
    # A row's own action: Deactivate lina2, and back to the same list.
    page.get_by_role("button", name="Deactivate lina2").click()
    expect(page.get_by_text("lina2 is now inactive.")).to_be_visible()
    expect(page).to_have_url("/users/?q=lina", ignore_case=True)
    expect(page.get_by_role("button", name="Activate lina2")).to_be_visible()
    assert axe(page) == []


def test_keyboard_only(root_page, axe, settings):
    settings.BULK_AT_ONCE_UP_TO = 1  # two ticked: the confirmation page too
    page = root_page

    def tab_to(name: str) -> None:
        for _ in range(80):
            page.keyboard.press("Tab")
            focused = page.evaluate(
                "() => (document.activeElement.getAttribute('aria-label') || "
                "document.activeElement.labels?.[0]?.innerText || "
                "document.activeElement.innerText || '').trim()"
            )
            if focused == name:
                return
        raise AssertionError(f"Tab never reached {name!r}")

    tab_to("Select lina4")
    page.keyboard.press("Space")
    tab_to("Select lina0")
    page.keyboard.press("Space")
    page.keyboard.press("Shift+Tab")  # back up into the bulk bar ...
    tab_to("Deactivate")
    # ... which comes before the table: start again from the top of the page.
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Deactivate 2 accounts?")).to_be_visible()
    tab_to("Deactivate 2 accounts")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_be_focused()
    assert User.objects.search("lina").inactive().count() == 2
    tab_to("Undo")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("Activated 2 accounts")
    assert User.objects.search("lina").inactive().count() == 0
    assert axe(page) == []


def test_a_refusal_is_shown_before_anything_changes(page, lina, axe):
    staff_with("view_user", "change_user", username="changer")
    SuperuserFactory(username="lina-root", full_name="Lina Root")
    sign_in(page, "changer")
    page.goto("/users/?q=lina")
    page.get_by_label("All 6 users matching this search").check()
    page.get_by_role("button", name="Deactivate", exact=True).click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Only a superuser can change a superuser")
    expect(alert).to_be_focused()
    expect(page.get_by_role("button", name="Deactivate 6 accounts")).to_have_count(0)
    assert axe(page) == []
    page.get_by_role("link", name="Cancel").click()
    expect(page).to_have_url("/users/?q=lina", ignore_case=True)
    assert User.objects.search("lina").inactive().count() == 0
