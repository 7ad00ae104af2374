"""Staff work through a real browser: every step a person takes, end to end."""

import csv
import io

import pytest
from playwright.sync_api import expect

from users.models import User
from users.tests.factories import PASSWORD, SuperuserFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def staff_page(page):
    root = SuperuserFactory(username="root")
    page.goto("/users/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username or email").fill("ROOT")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    page.root = root
    return page


def table_usernames(page) -> list[str]:
    # A click returns once the next page has committed, not parsed: wait for
    # the document before reading its rows, or a slow run reads nothing.
    page.wait_for_load_state()
    return page.locator("table.users tbody th").all_inner_texts()


def test_login_redirects_to_the_list(page):
    SuperuserFactory(username="root", email="root@example.com")
    page.goto("/users/")
    assert "/accounts/login/" in page.url
    page.get_by_label("Username or email").fill("Root@Example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_title("Users · noogh")


def test_login_page_states_pass_axe(page, axe):
    page.goto("/accounts/login/")
    assert axe(page) == []
    page.get_by_label("Username or email").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct")
    assert axe(page) == []


def test_refused_parameters_are_shown_beside_the_search_form(staff_page, axe):
    page = staff_page
    page.goto("/users/?created_after=2025-02-01&created_before=2025-01-01&page=x")
    alert = page.get_by_role("alert").first
    expect(alert).to_contain_text("nothing was searched")
    expect(alert).to_contain_text("Must be on or after")
    expect(page.locator("table.users")).to_have_count(0)
    field = page.get_by_label("Created on or before")
    expect(field).to_have_value("2025-01-01")
    expect(field).to_have_attribute("aria-invalid", "true")
    assert axe(page) == []
    field.fill("2025-03-01")
    page.get_by_role("button", name="Search").click()  # starts again at page 1
    expect(page.locator(".count")).to_contain_text("0 users")
    expect(page.get_by_role("link", name="Export CSV")).to_have_count(0)
    assert axe(page) == []


def test_search_filter_sort_and_page(staff_page, screenshot, axe):
    page = staff_page
    UserFactory.create_batch(30, full_name="Grace Hopper")
    UserFactory(username="ada", full_name="Ada Lovelace", is_active=False)
    page.reload()
    assert axe(page) == []
    screenshot(page, "user-list")
    page.emulate_media(color_scheme="dark")
    screenshot(page, "user-list-dark")
    page.emulate_media(color_scheme="light")

    page.get_by_label("Search", exact=True).fill("lovelace")
    page.get_by_role("button", name="Search").click()
    assert table_usernames(page) == ["ada"]
    expect(page.get_by_label("Search", exact=True)).to_have_value("lovelace")

    page.get_by_role("link", name="Reset").click()
    page.get_by_label("Active").select_option("false")
    page.get_by_role("button", name="Search").click()
    assert table_usernames(page) == ["ada"]

    page.goto("/users/?q=hopper")
    page.get_by_role("link", name="Username").click()
    first_page = table_usernames(page)
    assert first_page == sorted(first_page) and len(first_page) == 25
    page.get_by_role("link", name="Next ›").first.click()
    second_page = table_usernames(page)
    assert len(second_page) == 5 and second_page[0] > first_page[-1]
    assert "q=hopper" in page.url
    page.get_by_role("link", name="‹ Previous").first.click()
    expect(page.locator("table.users tbody th")).to_have_text(first_page)


def test_create_with_a_form_error_then_edit(staff_page, screenshot):
    page = staff_page
    page.get_by_role("link", name="New user").click()
    page.get_by_label("Username").fill("grace")
    page.get_by_label("Email address").fill("not-an-email")
    page.get_by_label("Full name").fill("Grace Hopper")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#id_email_error")).to_contain_text("Enter a valid email")
    expect(page.get_by_label("Full name")).to_have_value("Grace Hopper")

    page.get_by_label("Email address").fill("grace@navy.mil")
    page.get_by_role("button", name="Create user").click()
    expect(page.get_by_text("Created user grace.")).to_be_visible()

    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Full name").fill("Rear Admiral Grace Hopper")
    screenshot(page, "user-edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text("Saved changes to grace.")).to_be_visible()
    assert (
        User.objects.get_by_username("grace").full_name == "Rear Admiral Grace Hopper"
    )


def test_deactivate_activate_and_delete(staff_page):
    page = staff_page
    target = UserFactory(username="temp")
    page.goto(f"/users/{target.pk}/")
    page.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("temp is now inactive.")).to_be_visible()
    assert not User.objects.get(pk=target.pk).is_active
    page.get_by_role("button", name="Activate").click()
    expect(page.get_by_text("temp is now active.")).to_be_visible()
    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name="Delete temp?")).to_be_visible()
    page.get_by_role("button", name="Yes, delete this user").click()
    expect(page.get_by_text("Deleted user temp.")).to_be_visible()
    assert not User.objects.filter(pk=target.pk).exists()


def test_export_downloads_the_filtered_list(staff_page):
    page = staff_page
    UserFactory(username="ada", full_name="Ada Lovelace")
    UserFactory(username="alan", full_name="Alan Turing")
    page.goto("/users/?q=lovelace")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    download = download_info.value
    with open(download.path(), encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert [row["username"] for row in rows] == ["ada"]


def test_admin_changelist_search_and_bulk_action(staff_page):
    page = staff_page
    UserFactory(username="ada", full_name="Ada Lovelace")
    UserFactory(username="alan", full_name="Alan Turing")
    page.goto("/admin/users/user/")
    page.locator("#searchbar").fill("turing")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.locator("#result_list tbody input.action-select").check()
    page.locator("select[name=action]").select_option("deactivate_selected")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Deactivated 1 user(s).")).to_be_visible()
    assert not User.objects.get_by_username("alan").is_active


def _luminance(rgb: str) -> float:
    channels = [int(part) / 255 for part in rgb[rgb.index("(") + 1 : -1].split(",")[:3]]
    linear = [
        c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels
    ]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def _contrast(first: str, second: str) -> float:
    light, dark = sorted([_luminance(first), _luminance(second)], reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_focus_ring_and_field_borders_stand_out(staff_page, scheme):
    """WCAG 1.4.11: 3:1 for the focus ring and input borders, light and dark."""
    page = staff_page
    page.emulate_media(color_scheme=scheme)
    page.get_by_label("Search", exact=True).focus()
    page.keyboard.press("Tab")
    page.keyboard.press("Shift+Tab")  # focus by keyboard: :focus-visible
    colors = page.evaluate(
        """() => {
            const field = document.activeElement;
            const style = getComputedStyle(field);
            return {
                ring: style.outlineColor,
                border: style.borderTopColor,
                page: getComputedStyle(document.body).backgroundColor,
                form: getComputedStyle(field.closest("form")).backgroundColor,
            };
        }"""
    )
    for behind in (colors["page"], colors["form"]):
        assert _contrast(colors["ring"], behind) >= 3, (scheme, colors)
        assert _contrast(colors["border"], behind) >= 3, (scheme, colors)
