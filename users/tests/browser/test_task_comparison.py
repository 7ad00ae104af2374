"""The issue's three daily tasks, done in our pages and in the Django admin by
the same script, counting what a person does: clicks (a click, a choice in a
menu, Enter to submit; typing is not counted) and page loads (documents
loaded after the list is open; a download is not a load). Ours must take
fewer of both, on a desktop and on a phone. The counts are written to
artifacts/task-comparison.md for the closing note."""

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from users.models import User
from users.periods import period_range
from users.tests.factories import PASSWORD, SuperuserFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {
    "desktop": {"width": 1280, "height": 900},
    "phone": {"width": 390, "height": 844},
}
REPORT = Path(__file__).resolve().parents[3] / "artifacts" / "task-comparison.md"
RESULTS: dict = {}


class Tally:
    """What a person does on a page, counted from when the list is open."""

    def __init__(self, page):
        self.page, self.clicks, self.loads = page, 0, 0
        page.on("load", self._loaded)

    def _loaded(self, _page):
        self.loads += 1

    def start(self):
        self.page.wait_for_load_state()
        self.clicks = self.loads = 0

    def click(self, locator):
        self.clicks += 1
        locator.click()

    def choose(self, locator, value):
        self.clicks += 1
        locator.select_option(value)

    def submit(self, locator):
        self.clicks += 1
        locator.press("Enter")

    def settled(self):
        self.page.wait_for_load_state()
        return self.clicks, self.loads


@pytest.fixture
def data(transactional_db):
    SuperuserFactory(username="root")
    UserFactory.create_batch(20, full_name="Someone Else")
    quill = UserFactory(username="zquill", email="zed.quill@corp.example")
    lina = [
        UserFactory(username=f"lina{n}", full_name=f"Lina Test{n}", is_active=n < 50)
        for n in range(55)
    ]
    start, _ = period_range("last_month")
    old = UserFactory.create_batch(3, is_active=False)
    User.objects.filter(pk__in=[u.pk for u in old]).update(
        created_at=start + timedelta(days=2)
    )
    return {"quill": quill, "lina": lina, "last_month": len(old)}


def signed_in(page, viewport, path):
    page.set_viewport_size(VIEWPORTS[viewport])
    page.goto("/accounts/login/")
    page.get_by_label("Username or email").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Users", exact=True)).to_be_visible()
    page.goto(path)
    tally = Tally(page)
    tally.start()
    return tally


def ours_find_and_deactivate(page, tally):
    page.get_by_label("Search", exact=True).press_sequentially("quill@corp", delay=30)
    expect(page.locator("table.users tbody th")).to_have_text(["zquill"])
    tally.click(page.get_by_role("button", name="Deactivate zquill"))
    expect(page.get_by_text("zquill is now inactive.")).to_be_visible()


def admin_find_and_deactivate(page, tally):
    page.locator("#searchbar").fill("quill@corp")
    tally.submit(page.locator("#searchbar"))
    tally.click(page.locator("input[name=_selected_action]").first)
    tally.choose(page.locator("select[name=action]"), "deactivate_selected")
    tally.click(page.get_by_role("button", name="Run"))
    expect(page.locator(".messagelist")).to_contain_text("Deactivated 1 user")


def ours_deactivate_lina(page, tally):
    page.get_by_label("Search", exact=True).press_sequentially("lina", delay=30)
    expect(page.locator(".count")).to_contain_text("55 users")
    bulk = page.locator("details.bulk-details > summary")
    if bulk.is_visible():  # folded on a phone
        tally.click(bulk)
    tally.click(page.get_by_label("All 55 users matching this search"))
    tally.click(page.get_by_role("button", name="Deactivate", exact=True))
    expect(page.get_by_role("status")).to_have_text("Deactivated 50 accounts.")


def admin_deactivate_lina(page, tally):
    page.locator("#searchbar").fill("lina")
    tally.submit(page.locator("#searchbar"))
    tally.click(page.locator("#action-toggle"))
    tally.choose(page.locator("select[name=action]"), "deactivate_selected")
    tally.click(page.get_by_role("button", name="Run"))
    expect(page.locator(".messagelist")).to_contain_text("Deactivated 50 user")


def ours_export_last_month(page, tally):
    filters = page.locator("details.filters > summary")
    if filters.is_visible():  # folded on a phone
        tally.click(filters)
    tally.choose(page.get_by_label("Active", exact=True), "false")
    tally.choose(page.get_by_label("Created", exact=True), "last_month")
    expect(page.locator(".count")).to_contain_text("3 users")
    with page.expect_download() as download:
        tally.click(page.get_by_role("link", name="Export CSV"))
    lines = Path(download.value.path()).read_text().splitlines()
    assert len(lines) == 1 + 3


TASKS = {
    "find a user by partial email and deactivate": (
        ours_find_and_deactivate,
        admin_find_and_deactivate,
    ),
    "deactivate the 50 active users matching “lina”": (
        ours_deactivate_lina,
        admin_deactivate_lina,
    ),
    "export the inactive users who signed up last month": (
        ours_export_last_month,
        None,
    ),
}


@pytest.mark.parametrize("viewport", VIEWPORTS)
@pytest.mark.parametrize("task", TASKS)
def test_each_task_takes_fewer_clicks_and_loads_in_our_pages(
    browser, live_server, data, task, viewport
):
    ours, admin = TASKS[task]
    counts = {}
    for side, steps, path in (
        ("ours", ours, "/users/"),
        ("admin", admin, "/admin/users/user/"),
    ):
        if steps is None:
            continue
        context = browser.new_context(base_url=live_server.url, accept_downloads=True)
        context.set_default_timeout(10_000)
        page = context.new_page()
        try:
            tally = signed_in(page, viewport, path)
            steps(page, tally)
            counts[side] = tally.settled()
        finally:
            context.close()
        if side == "ours":
            _as_before(data)
    RESULTS[(task, viewport)] = counts
    _write_report()
    if "admin" in counts:
        (ours_clicks, ours_loads), (admin_clicks, admin_loads) = (
            counts["ours"],
            counts["admin"],
        )
        assert ours_clicks < admin_clicks and ours_loads < admin_loads, counts


def _as_before(data):
    """The accounts as the fixture made them, for the admin's turn."""
    User.objects.filter(pk=data["quill"].pk).update(is_active=True)
    User.objects.filter(pk__in=[user.pk for user in data["lina"][:50]]).update(
        is_active=True
    )


def _write_report():
    lines = [
        "| task | screen | noogh pages | Django admin |",
        "|---|---|---|---|",
    ]
    for (task, viewport), counts in RESULTS.items():
        cells = [
            f"{counts[side][0]} clicks, {counts[side][1]} loads"
            if side in counts
            else "not possible"
            for side in ("ours", "admin")
        ]
        lines.append(f"| {task} | {viewport} | {cells[0]} | {cells[1]} |")
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text("\n".join(lines) + "\n")
