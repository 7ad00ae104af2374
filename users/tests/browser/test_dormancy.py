"""The dormant-account policy's pages in a real browser: the preview (off,
nobody, some accounts with the CSV), an account's exemption (its error, then
saved and shown on the account's page)."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from users.models import DormancyExemption
from users.tests.browser.test_page_states import sign_in
from users.tests.dormancy import AFTER, idle
from users.tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_preview_off_empty_and_with_accounts(
    page, live_server, axe, screenshot, settings
):
    settings.DORMANT_AFTER_DAYS = 0
    settings.DORMANT_EXEMPT_GROUPS = ["Service accounts"]
    sign_in(page, live_server, "superuser")
    page.goto("/users/dormant/")
    expect(page.get_by_text("The dormant-account policy is off")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "dormant-off")

    settings.DORMANT_AFTER_DAYS = AFTER
    page.reload()
    expect(page.get_by_text("No account would be deactivated now.")).to_be_visible()
    assert axe(page) == []

    for n in range(3):
        idle(AFTER + 1 + n, full_name=f'=HYPERLINK("x") Sleepy {n}')
    idle(AFTER + 2, never=True, username="never.used")
    page.reload()
    expect(page.locator("#dormant-count")).to_have_text("4")
    table = page.get_by_role("table", name="All of them, idle the longest first")
    expect(table.get_by_role("row")).to_have_count(5)
    expect(table.get_by_role("cell", name="Never", exact=True)).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download all 4 as CSV").click()
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    assert text.count("'=HYPERLINK") == 3 and "never.used" in text
    assert axe(page) == []
    screenshot(page, "dormant-preview")


def test_exempting_an_account(page, live_server, axe, screenshot):
    zoe = UserFactory(username="zoe")
    sign_in(page, live_server, "superuser")
    page.goto(f"/users/{zoe.pk}/")
    expect(page.get_by_text("Not exempt")).to_be_visible()
    page.get_by_role("link", name="Dormancy exemption").click()
    expect(
        page.get_by_role("heading", name="Dormancy exemption of zoe")
    ).to_be_visible()
    page.get_by_label("Exempt from the dormant-account policy").check()
    why = page.get_by_label("Why")
    why.evaluate("field => field.removeAttribute('maxlength')")  # as a script might
    why.fill("x" * 501)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("at most 500 characters")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "dormancy-exemption-error")

    page.get_by_label("Why").fill("Shared kiosk account")
    page.get_by_role("button", name="Save").click()
    expect(
        page.get_by_text("zoe is exempt from the dormant-account policy.")
    ).to_be_visible()
    expect(page.get_by_text("Exempt: Shared kiosk account (")).to_be_visible()
    assert axe(page) == []
    screenshot(page, "dormancy-exempt-account")
    assert DormancyExemption.objects.get(user=zoe).note == "Shared kiosk account"
