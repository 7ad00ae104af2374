"""The list's console parameters: last login (column, sort, filters), group
membership, date presets, the page's position, and back to the list."""

import re
from datetime import UTC, date, datetime, timedelta
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from users.models import User
from users.pagination import SALT
from users.periods import period_days, period_range
from users.web.back import list_url

from .factories import UserFactory
from .mfa import enrol

pytestmark = pytest.mark.django_db
LIST = reverse("users:list")


def usernames(response) -> list[str]:
    return [row.username for row in response.context["page"].rows]


def href(response, rel: str) -> str | None:
    match = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2025, 3, day, hour, tzinfo=UTC)


@pytest.fixture
def logins(superuser_client):
    """Three accounts that logged in on 1, 2 and 3 March, two that never did
    (and the superuser, who logged in now)."""
    for day in (2, 1, 3):
        UserFactory(username=f"d{day}", last_login=at(day))
    UserFactory(username="never_a")
    UserFactory(username="never_b")
    return superuser_client


# --- last login --------------------------------------------------------------


def test_the_column_shows_relative_dates_with_the_exact_time(logins):
    html = logins.get(LIST, {"ordering": "username"}).content.decode()
    assert (
        '<time datetime="2025-03-01T12:00:00+00:00" title="2025-03-01 12:00 UTC">'
        in html
    )
    assert "ago</time>" in html
    assert html.count('data-label="Last login">Never</td>') == 2


def test_sorting_by_last_login_places_never_as_the_oldest(logins):
    root = User.objects.superusers().get().username
    latest = logins.get(LIST, {"ordering": "-last_login"})
    assert usernames(latest) == [root, "d3", "d2", "d1", "never_b", "never_a"]
    oldest = logins.get(LIST, {"ordering": "last_login"})
    assert usernames(oldest) == ["never_a", "never_b", "d1", "d2", "d3", root]


@pytest.mark.parametrize("ordering", ["last_login", "-last_login"])
def test_pages_walk_through_never_and_dated_rows_both_ways(superuser_client, ordering):
    for n in range(31):
        UserFactory(username=f"u{n:02}", last_login=None if n % 3 else at(1 + n % 5))
    expected = list(User.objects.sorted_by(ordering).values_list("username", flat=True))
    response = superuser_client.get(LIST, {"ordering": ordering, "per_page": 25})
    pages = [usernames(response)]
    while link := href(response, "next"):
        response = superuser_client.get(LIST + link)
        pages.append(usernames(response))
    assert [name for names in pages for name in names] == expected
    assert [len(p) for p in pages] == [25, 7]
    back = superuser_client.get(LIST + href(response, "prev"))
    assert usernames(back) == pages[0]


def test_never_before_and_after(logins):
    root = User.objects.superusers().get().username
    assert usernames(
        logins.get(LIST, {"last_login": "never", "ordering": "username"})
    ) == ["never_a", "never_b"]
    after = logins.get(LIST, {"last_login_after": "2025-03-02", "ordering": "username"})
    assert usernames(after) == ["d2", "d3", root]
    # "On or before" counts the whole day; never is before no date.
    before = logins.get(
        LIST, {"last_login_before": "2025-03-02", "ordering": "username"}
    )
    assert usernames(before) == ["d1", "d2"]
    both = logins.get(
        LIST, {"last_login_after": "2025-03-02", "last_login_before": "2025-03-02"}
    )
    assert usernames(both) == ["d2"]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"last_login": "never", "last_login_after": "2025-01-01"}, "not both"),
        ({"last_login": "today", "last_login_before": "2025-01-01"}, "not both"),
        ({"created": "this_year", "created_after": "2025-01-01"}, "not both"),
        (
            {"last_login_after": "2025-03-02", "last_login_before": "2025-03-01"},
            "Must be on or after",
        ),
        ({"last_login": "yesterday-ish"}, "Select a valid choice"),
        ({"created": "1"}, "Select a valid choice"),
        ({"ordering": "last_login_key"}, "Select a valid choice"),
        ({"last_login_after": "2025-02-30"}, "Enter a valid date"),
    ],
)
def test_contradictions_and_unknown_values_are_refused(logins, query, message):
    response = logins.get(LIST, query)
    assert response.status_code == 400
    assert message in response.context["errors"]
    assert "page" not in response.context
    export = logins.get(reverse("users:export"), query)
    assert export.status_code == 400


def test_export_takes_the_new_filters(logins):
    response = logins.get(
        reverse("users:export"), {"last_login": "never", "ordering": "last_login"}
    )
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert [line.split(",")[1].strip('"') for line in lines[1:]] == [
        "never_a",
        "never_b",
    ]


def test_logging_in_records_last_login(client):
    """Django's update_last_login receiver fills the column on every login."""
    from .factories import PASSWORD, SuperuserFactory

    user = SuperuserFactory(username="signer")
    assert user.last_login is None
    client.post(reverse("login"), {"username": "signer", "password": PASSWORD})
    user.refresh_from_db()
    assert timezone.now() - user.last_login < timedelta(minutes=1)


# --- groups ------------------------------------------------------------------


def test_group_filter_lists_members_only(superuser_client):
    ops, sales = Group.objects.create(name="Ops"), Group.objects.create(name="Sales")
    UserFactory(username="both").groups.add(ops, sales)
    UserFactory(username="ops_only").groups.add(ops)
    UserFactory(username="sales_only").groups.add(sales)
    response = superuser_client.get(LIST, {"group": ops.pk, "ordering": "username"})
    assert usernames(response) == ["both", "ops_only"]
    assert (
        f'<option value="{ops.pk}" selected>Ops</option>' in response.content.decode()
    )
    assert str(response.context["count"]) == "2 users"


@pytest.mark.parametrize(
    "value", ["999999", "abc", "-1", "1.5", "1e3", "99999999999999999999", "1\x00", " "]
)
def test_an_unknown_group_is_refused(superuser_client, value):
    Group.objects.create(name="Ops")
    response = superuser_client.get(LIST, {"group": value})
    assert response.status_code == 400
    assert "Group: " in response.context["errors"]


def test_filtered_list_query_budget(client, login, django_assert_max_num_queries):
    ops = Group.objects.create(name="Ops")
    for user in UserFactory.create_batch(30, last_login=timezone.now()):
        user.groups.add(ops)
    login("viewer")
    client.get(LIST)
    query = {"group": ops.pk, "last_login": "last_7_days", "created": "this_year"}
    # As the plain list (test_views_list), + the chosen group's lookup.
    with django_assert_max_num_queries(9):
        response = client.get(LIST, query | {"ordering": "-last_login"})
    assert len(response.context["page"].rows) == 25


# --- presets -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "today", "first", "last"),
    [
        ("today", date(2025, 3, 15), date(2025, 3, 15), date(2025, 3, 15)),
        ("last_7_days", date(2025, 3, 15), date(2025, 3, 9), date(2025, 3, 15)),
        ("last_30_days", date(2025, 3, 15), date(2025, 2, 14), date(2025, 3, 15)),
        ("last_month", date(2025, 3, 15), date(2025, 2, 1), date(2025, 2, 28)),
        ("last_month", date(2025, 1, 1), date(2024, 12, 1), date(2024, 12, 31)),
        ("this_year", date(2025, 3, 15), date(2025, 1, 1), date(2025, 12, 31)),
    ],
)
def test_preset_days(name, today, first, last):
    assert period_days(name, today) == (first, last)


def test_presets_count_days_in_the_project_time_zone(settings, monkeypatch):
    settings.TIME_ZONE = "Pacific/Auckland"  # UTC+13 in March
    timezone.deactivate()
    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2025, 3, 3))
    start, end = period_range("today")
    assert start == datetime(2025, 3, 2, 11, tzinfo=UTC)
    assert end == datetime(2025, 3, 3, 11, tzinfo=UTC)


def test_presets_filter_sign_ups_and_last_logins(superuser_client):
    root = User.objects.superusers().get().username
    now = timezone.now()
    UserFactory(username="new", created_at=now - timedelta(days=2), last_login=now)
    UserFactory(
        username="old",
        created_at=now - timedelta(days=800),
        last_login=now - timedelta(days=40),
    )
    query = {"ordering": "username", "q": "example.com"}
    assert usernames(
        superuser_client.get(LIST, query | {"created": "last_7_days"})
    ) == [
        "new",
        root,
    ]
    assert usernames(
        superuser_client.get(LIST, query | {"last_login": "last_30_days"})
    ) == ["new", root]
    assert "old" not in usernames(
        superuser_client.get(LIST, query | {"created": "this_year"})
    )


# --- position ----------------------------------------------------------------


def test_the_page_says_where_it_is(superuser_client):
    UserFactory.create_batch(59, full_name="Grace Hopper")
    first = superuser_client.get(LIST, {"q": "hopper", "ordering": "username"})
    assert "1–25</strong> of <strong>59 users" in first.content.decode()
    second = superuser_client.get(LIST + href(first, "next"))
    assert "26–50</strong> of <strong>59 users" in second.content.decode()
    third = superuser_client.get(LIST + href(second, "next"))
    assert "51–59</strong>" in third.content.decode()
    back = superuser_client.get(LIST + href(third, "prev"))
    assert "26–50</strong>" in back.content.decode()
    # Controls above and below the table.
    assert first.content.decode().count('rel="next"') == 2


def test_a_link_made_before_positions_still_pages(superuser_client):
    UserFactory.create_batch(30)
    row = User.objects.sorted_by("-created_at")[24]
    token = signing.dumps(["after", "-created_at", row.pk], salt=SALT)
    response = superuser_client.get(LIST, {"page": token})
    assert response.status_code == 200
    assert len(usernames(response)) == 6
    assert "–" not in response.content.decode().split('class="count"')[1][:80]


@pytest.mark.parametrize("offset", [-1, "5", 1.5, None, [1]])
def test_a_forged_position_is_refused(superuser_client, offset):
    UserFactory.create_batch(3)
    row = User.objects.first()
    token = signing.dumps(["after", "-created_at", row.pk, offset], salt=SALT)
    response = superuser_client.get(LIST, {"page": token})
    assert response.status_code == 400


# --- back to the list ----------------------------------------------------------


def test_rows_link_to_the_user_with_the_list_address(superuser_client):
    user = UserFactory(username="ada")
    response = superuser_client.get(LIST, {"q": "ada", "is_active": "true"})
    back = quote("/users/?q=ada&is_active=true", safe="")
    assert f'href="/users/{user.pk}/?back={back}"' in response.content.decode()


def test_the_breadcrumb_and_actions_return_to_the_search(superuser_client):
    user = UserFactory(username="ada")
    back = "/users/?q=ada&ordering=email&page=xyz"
    detail = superuser_client.get(
        reverse("users:detail", args=[user.pk]), {"back": back}
    )
    html = detail.content.decode()
    assert 'href="/users/?q=ada&amp;ordering=email&amp;page=xyz">Users</a>' in html
    carried = f"?back={quote(back, safe='')}"
    assert f"/users/{user.pk}/edit/{carried}" in html
    assert f"/users/{user.pk}/delete/{carried}" in html
    deactivated = superuser_client.post(
        reverse("users:deactivate", args=[user.pk]) + carried
    )
    assert deactivated["Location"] == f"/users/{user.pk}/{carried}"
    edit = superuser_client.get(reverse("users:edit", args=[user.pk]) + carried)
    assert 'href="/users/?q=ada&amp;ordering=email&amp;page=xyz">Users</a>' in (
        edit.content.decode()
    )
    deleted = superuser_client.post(reverse("users:delete", args=[user.pk]) + carried)
    assert deleted["Location"] == back


@pytest.mark.parametrize(
    "value",
    [
        "//evil.com",
        "//evil.com/users/",
        "///evil.com/users/",
        "\\\\evil.com/users/",
        "/\\evil.com/users/",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)//users/",
        "https://evil.com/users/?q=a",
        "http://testserver/users/?q=a",
        "/%2F%2Fevil.com",
        "%2F%2Fevil.com/users/",
        "/users/../admin/",
        "/admin/users/user/",
        "/users/1/delete/",
        "/users/\r\nSet-Cookie: a=b",
        "\r\n/users/",
        "\x00/users/",
        " //evil.com",
        "/users/#x",
        "/users/?" + "a" * 3000,
    ],
)
def test_hostile_back_addresses_lead_to_the_plain_list(superuser_client, value):
    assert list_url(value) in (None, "/users/")
    user = UserFactory(username="target")
    carried = f"?back={quote(value, safe='')}"
    detail = superuser_client.get(reverse("users:detail", args=[user.pk]) + carried)
    assert detail.status_code == 200
    assert 'href="/users/">Users</a>' in detail.content.decode()
    assert "evil" not in detail.content.decode().split("<main")[1]
    deleted = superuser_client.post(reverse("users:delete", args=[user.pk]) + carried)
    assert deleted["Location"] == "/users/"


def test_a_back_address_is_reencoded():
    assert list_url("/users/?q=a%0d%0aLocation:%20x&q2=%3Cb%3E") == (
        "/users/?q=a%0D%0ALocation%3A+x&q2=%3Cb%3E"
    )
    assert list_url("/users/") == "/users/"
    assert list_url("/users/?") == "/users/"


def test_the_erase_and_two_factor_pages_return_to_the_search(superuser_client):
    user = UserFactory(username="ada")
    enrol(user)
    back = "/users/?q=ada&ordering=email"
    carried = f"?back={quote(back, safe='')}"
    detail = superuser_client.get(reverse("users:detail", args=[user.pk]) + carried)
    html = detail.content.decode()
    for name in ("erase", "mfa_reset"):
        page = reverse(f"users:{name}", args=[user.pk]) + carried
        assert page.replace("&", "&amp;") in html or page in html
        shown = superuser_client.get(page).content.decode()
        assert 'href="/users/?q=ada&amp;ordering=email">Users</a>' in shown
    reset = superuser_client.post(reverse("users:mfa_reset", args=[user.pk]) + carried)
    assert reset["Location"] == f"/users/{user.pk}/{carried}"
    erased = superuser_client.post(
        reverse("users:erase", args=[user.pk]) + carried,
        {"basis": "request", "confirm": "ada"},
    )
    assert erased["Location"] == f"/users/{user.pk}/{carried}"
