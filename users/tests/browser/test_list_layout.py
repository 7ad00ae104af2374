"""The list on a desktop and on a phone: no horizontal overflow whatever the
values, rows as cards and filters folded away on a phone, the position of the
page, the skip link, back to the list with its search, and axe on each state."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone
from playwright.sync_api import expect

from users.tests.factories import PASSWORD, SuperuserFactory, UserFactory

from .test_staff_pages import table_usernames

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
SCHEMES = ["light", "dark"]
LONG_NAME = "Maximiliana " + "Wolfeschlegelsteinhausenbergerdorff" * 6
LONG_EMAIL = "a" * 64 + "@" + "c" * 63 + "." + "d" * 63 + ".example.com"


@pytest.fixture
def staff_page(page):
    SuperuserFactory(username="root")
    page.goto("/accounts/login/?next=/users/")
    page.get_by_label("Username or email").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    return page


def fits_the_window(page) -> bool:
    """Nothing scrolls sideways: not the page, not the table's box."""
    return page.evaluate(
        """() => {
            const root = document.documentElement;
            const boxes = [...document.querySelectorAll('.table-wrap')];
            return root.scrollWidth <= window.innerWidth
                && boxes.every(box => box.scrollWidth <= box.clientWidth);
        }"""
    )


def long_values():
    assert len(LONG_NAME) >= 200 and len(LONG_EMAIL) >= 200
    UserFactory(username="long", full_name=LONG_NAME[:255], email=LONG_EMAIL)
    UserFactory.create_batch(3)


@pytest.mark.parametrize("scheme", SCHEMES)
def test_long_values_fit_a_desktop_with_every_column_in_view(
    staff_page, axe, screenshot, scheme
):
    page = staff_page
    long_values()
    page.set_viewport_size(DESKTOP)
    page.emulate_media(color_scheme=scheme)
    page.goto("/users/")
    assert fits_the_window(page)
    for column in ("Active", "Staff", "Superuser", "Created", "Last login"):
        header = page.get_by_role("columnheader", name=column)
        # Below the filters, but never off to the side: scroll down to it only.
        header.scroll_into_view_if_needed()
        expect(header).to_be_in_viewport()
        box = header.bounding_box()
        assert box["x"] + box["width"] <= DESKTOP["width"], column
    expect(page.get_by_role("cell", name=LONG_NAME[:255])).to_be_visible()
    expect(page.locator("summary", has_text="Filters")).to_be_hidden()
    expect(page.get_by_label("Active")).to_be_visible()  # filters always shown
    assert axe(page) == []
    screenshot(page, f"user-list-long-values-desktop-{scheme}")


@pytest.mark.parametrize("scheme", SCHEMES)
def test_a_phone_shows_cards_and_folds_the_filters(staff_page, axe, screenshot, scheme):
    page = staff_page
    long_values()
    page.set_viewport_size(PHONE)
    page.emulate_media(color_scheme=scheme)
    page.goto("/users/")
    assert fits_the_window(page)
    filters = page.locator("details.filters")
    expect(filters).not_to_have_attribute("open", "")
    expect(page.get_by_label("Active")).to_be_hidden()
    # Results on the first screen: the search box, the folded filters, then rows.
    first_row = page.locator("table.users tbody tr").first
    assert first_row.bounding_box()["y"] < PHONE["height"]
    card = page.locator("tbody tr", has_text="long")
    expect(card.locator("td[data-label=Email]")).to_be_visible()
    expect(card.locator("td[data-label=Created]")).to_be_visible()
    assert axe(page) == []
    screenshot(page, f"user-list-phone-{scheme}")

    page.locator("summary", has_text="Filters").click()
    expect(page.get_by_label("Active")).to_be_visible()
    assert fits_the_window(page)
    assert axe(page) == []
    screenshot(page, f"user-list-phone-filters-open-{scheme}")
    page.get_by_label("Active").select_option("true")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    # A filter is set: the disclosure stays open to show it.
    expect(page.locator("details.filters")).to_have_attribute("open", "")
    expect(page.get_by_label("Active")).to_have_value("true")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
@pytest.mark.parametrize("scheme", SCHEMES)
def test_filtered_and_empty_states_pass_axe(staff_page, axe, scheme, viewport):
    page = staff_page
    ops = Group.objects.create(name="Operations")
    now = timezone.now()
    member = UserFactory(username="member", last_login=now - timedelta(days=2))
    member.groups.add(ops)
    UserFactory(username="never")
    page.set_viewport_size(viewport)
    page.emulate_media(color_scheme=scheme)
    page.goto(f"/users/?group={ops.pk}&last_login=last_7_days")
    assert table_usernames(page) == ["member"]
    expect(page.locator("tbody td[data-label='Last login'] time")).to_have_text(
        "2\xa0days ago"
    )
    assert fits_the_window(page)
    assert axe(page) == []
    page.goto("/users/?last_login=never&q=nobody-here")
    expect(page.get_by_text("No users match this search.")).to_be_visible()
    assert axe(page) == []
    page.goto("/users/?last_login=never&last_login_after=2025-01-01")
    expect(page.get_by_role("alert").first).to_contain_text("not both")
    expect(page.locator("details.filters")).to_have_attribute("open", "")
    assert axe(page) == []


def test_presets_from_the_select(staff_page):
    page = staff_page
    now = timezone.now()
    UserFactory(username="recent", created_at=now - timedelta(days=3))
    UserFactory(username="old", created_at=now - timedelta(days=400))
    page.get_by_label("Created", exact=True).select_option(label="Last 7 days")
    page.get_by_role("button", name="Search").click()
    assert "created=last_7_days" in page.url
    assert table_usernames(page) == ["root", "recent"]  # root: made for the test
    page.get_by_label("Sort by").select_option(label="Oldest login first")
    page.get_by_role("button", name="Search").click()
    assert table_usernames(page) == ["recent", "root"]  # never, then just now


def test_skip_link_is_first_and_moves_to_the_results(staff_page):
    page = staff_page
    UserFactory.create_batch(3)
    page.goto("/users/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to results")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#results")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is inside the results
    focused = page.evaluate("document.activeElement.closest('#results') !== null")
    assert focused


def test_position_and_controls_above_and_below(staff_page):
    page = staff_page
    UserFactory.create_batch(30, full_name="Grace Hopper")
    page.goto("/users/?q=hopper&ordering=username")
    expect(page.locator(".count")).to_contain_text("1–25 of 30 users")
    expect(
        page.get_by_role("navigation", name="Pages, above the table")
    ).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Pages, below the table")
    ).to_be_visible()
    page.get_by_role("navigation", name="Pages, above the table").get_by_role(
        "link", name="Next ›"
    ).click()
    expect(page.locator(".count")).to_contain_text("26–30 of 30 users")
    page.get_by_role("link", name="‹ Previous").first.click()
    expect(page.locator(".count")).to_contain_text("1–25 of 30 users")


def test_back_to_the_list_keeps_search_sort_and_page(staff_page, axe):
    page = staff_page
    UserFactory.create_batch(30, full_name="Grace Hopper")
    page.goto("/users/?q=hopper&ordering=username&is_active=true")
    page.get_by_role("link", name="Next ›").first.click()
    list_url = page.url
    second_page = table_usernames(page)
    page.get_by_role("link", name=second_page[0]).click()
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Full name").fill("Grace B. Hopper")
    page.get_by_role("button", name="Save changes").click()
    message = page.locator(".messages")
    expect(message).to_contain_text("Saved changes")
    expect(message).to_be_focused()
    expect(page.get_by_role("status")).to_contain_text("Saved changes")
    assert axe(page) == []
    page.get_by_role("button", name="Deactivate").click()
    expect(page.locator(".messages")).to_contain_text("is now inactive")
    page.get_by_role("link", name="Delete").click()
    page.get_by_role("button", name="Yes, delete this user").click()
    expect(page.locator(".messages")).to_contain_text("Deleted user")
    expect(page.locator(".messages")).to_be_focused()
    assert page.url == list_url
    expect(page.locator(".count")).to_contain_text("26–29 of 29 users")
    page.get_by_role("link", name=table_usernames(page)[0]).click()
    page.get_by_role("link", name="Users", exact=True).last.click()
    assert page.url == list_url
