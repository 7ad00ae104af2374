"""The list page: search, filters, sorting, keyset pages, counts and bad input."""

import re
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from users.models import AuditEvent, User

from .factories import UserFactory

pytestmark = pytest.mark.django_db
LIST = reverse("users:list")


def usernames(response) -> list[str]:
    return [row.username for row in response.context["page"].rows]


def follow(client, response, rel: str):
    match = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    assert match, f"no {rel} link"
    return client.get(LIST + match.group(1).replace("&amp;", "&"))


def test_search_filters_and_keeps_form_values(superuser_client):
    UserFactory(username="ada", full_name="Ada Lovelace", is_active=False)
    UserFactory(username="alan", full_name="Alan Turing")
    response = superuser_client.get(LIST, {"q": "lovelace", "is_active": "false"})
    assert usernames(response) == ["ada"]
    html = response.content.decode()
    assert 'value="lovelace"' in html
    assert '<option value="false" selected>' in html


def test_created_date_range_is_inclusive(superuser_client):
    for day in (1, 2, 3):
        UserFactory(
            username=f"d{day}", created_at=datetime(2025, 3, day, 12, tzinfo=UTC)
        )
    response = superuser_client.get(
        LIST, {"created_after": "2025-03-02", "created_before": "2025-03-02"}
    )
    assert usernames(response) == ["d2"]


@pytest.mark.parametrize(
    ("ordering", "expected"),
    [
        ("username", ["a", "b", "c"]),
        ("-username", ["c", "b", "a"]),
        ("full_name", ["c", "a", "b"]),
        ("email", ["b", "c", "a"]),
        ("created_at", ["a", "b", "c"]),
        ("-created_at", ["c", "b", "a"]),
    ],
)
def test_sorting(superuser_client, ordering, expected):
    UserFactory(username="a", full_name="Bea", email="z@x.org")
    UserFactory(username="b", full_name="Cid", email="m@x.org")
    UserFactory(username="c", full_name="Abe", email="n@x.org")
    response = superuser_client.get(LIST, {"ordering": ordering, "is_staff": "false"})
    assert usernames(response) == expected


def test_next_and_previous_pages_walk_every_row_once(superuser_client):
    UserFactory.create_batch(60)
    expected = sorted(User.objects.values_list("username", flat=True))
    page1 = superuser_client.get(LIST, {"ordering": "username", "per_page": 25})
    page2 = follow(superuser_client, page1, "next")
    page3 = follow(superuser_client, page2, "next")
    seen = usernames(page1) + usernames(page2) + usernames(page3)
    assert seen == expected
    assert b'rel="next"' not in page3.content
    back = follow(superuser_client, page3, "prev")
    assert usernames(back) == usernames(page2)
    first = follow(superuser_client, back, "prev")
    assert usernames(first) == usernames(page1)
    assert b'rel="prev"' not in first.content


def test_page_links_keep_the_filters(superuser_client):
    UserFactory.create_batch(30, full_name="Grace Hopper")
    response = superuser_client.get(LIST, {"q": "hopper", "per_page": 25})
    html = response.content.decode()
    next_link = re.search(r'rel="next" href="([^"]+)"', html).group(1)
    assert "q=hopper" in next_link
    export = re.search(r'href="(/users/export.csv[^"]*)"', html).group(1)
    assert "q=hopper" in export
    sort_link = re.search(r'href="(\?[^"]*ordering=email[^"]*)"', html).group(1)
    assert "q=hopper" in sort_link
    assert not re.search(r"[?;]page=", sort_link)


def test_count_is_exact_when_small(superuser_client):
    UserFactory.create_batch(3)
    response = superuser_client.get(LIST)
    assert "4 users" in response.content.decode()  # three + the superuser


def test_filtered_count_is_capped(superuser_client, monkeypatch):
    monkeypatch.setattr("users.pagination.COUNT_CAP", 5)
    UserFactory.create_batch(5, full_name="Same Name")
    response = superuser_client.get(LIST, {"q": "same"})
    assert "<strong>5 users</strong>" in response.content.decode()  # exact
    UserFactory(full_name="Same Name")
    response = superuser_client.get(LIST, {"q": "same"})
    assert "<strong>5+ users</strong>" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"ordering": "password"}, "Select a valid choice"),
        ({"is_active": "maybe"}, "Select a valid choice"),
        ({"created_after": "yesterday"}, "Enter a valid date"),
        ({"q": "x" * 10_000}, "at most 200 characters"),
        ({"q": "nul\x00byte"}, "Null characters are not allowed"),
        (
            {"created_after": "2025-02-01", "created_before": "2025-01-01"},
            "Must be on or after",
        ),
    ],
)
def test_bad_filters_are_refused_beside_the_form(superuser_client, params, error):
    response = superuser_client.get(LIST, params)
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html
    assert "nothing was searched" in html
    assert 'class="search-form"' in html  # to correct them in place
    assert "<table" not in html


@pytest.mark.parametrize(
    "params",
    [
        {"ordering": "password"},
        {"is_active": "maybe"},
        {"created_after": "2025-02-01", "created_before": "2025-01-01"},
        {"per_page": "ten"},
        {"page": "not-a-token"},
    ],
)
def test_list_and_export_refuse_the_same_parameters(superuser_client, params):
    """One validator: what the list refuses, the export refuses too."""
    assert superuser_client.get(LIST, params).status_code == 400
    export = superuser_client.get(reverse("users:export"), params)
    assert export.status_code == 400
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


@pytest.mark.parametrize(
    "params",
    [
        {"per_page": "100000"},
        {"per_page": "ten"},
        {"page": "-1"},
        {"page": "not-a-token"},
        {"page": "x" * 1000},
    ],
)
def test_bad_pagination_is_a_400_page(superuser_client, params):
    response = superuser_client.get(LIST, params)
    assert response.status_code == 400
    assert b"do not make sense" in response.content


def test_token_from_another_sort_order_is_a_400(superuser_client):
    UserFactory.create_batch(30)
    page1 = superuser_client.get(LIST, {"ordering": "email"})
    token = page1.context["page"].next_token
    response = superuser_client.get(LIST, {"ordering": "username", "page": token})
    assert response.status_code == 400
    assert b"another sort order" in response.content


def test_echoed_values_are_escaped(superuser_client):
    response = superuser_client.get(LIST, {"q": "<script>alert(1)</script>"})
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def queries_for(client, per_page: int) -> int:
    # At most once a minute a request also refreshes the session's expiry;
    # the first request after logging in does, so it is not the one counted.
    client.get(LIST)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST, {"per_page": per_page, "ordering": "username"})
    assert len(response.context["page"].rows) == per_page
    return len(captured)


def test_query_count_is_small_and_independent_of_page_size(client, login):
    UserFactory.create_batch(120)
    login("viewer")
    # session, user, whether it has a second factor to pass (users.signin.gate),
    # 2 permission lookups, rows, count (+ the pg_class estimate that a table
    # this small then confirms with an exact count), + the groups of the
    # group filter's choices.
    assert queries_for(client, 25) == queries_for(client, 100) <= 9


def test_list_query_budget(client, login, django_assert_max_num_queries):
    UserFactory.create_batch(30)
    login("viewer")
    client.get(LIST)  # refreshes the session expiry (once a minute)
    # + whether the account has a second factor to pass (a session that has
    # passed one loads that device instead: users.signin.gate), + the groups
    # of the group filter's choices.
    with django_assert_max_num_queries(8):
        response = client.get(LIST, {"q": "user", "is_active": "true"})
    assert len(response.context["page"].rows) == 25


def test_export_is_offered_only_when_something_matches(superuser_client):
    UserFactory(full_name="Grace Hopper")
    export = reverse("users:export")
    assert export in superuser_client.get(LIST, {"q": "hopper"}).content.decode()
    assert export not in superuser_client.get(LIST, {"q": "nobody"}).content.decode()
