"""The user changelist's paginator (users.admin.paginator): a search's
matches read once, deep pages found by id first - and the same rows, count
and page links as the stock paginator gives."""

import pytest
from django.core.paginator import Paginator
from django.urls import reverse

from users.admin import paginator as admin_paginator
from users.models import User

from .factories import UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:users_user_changelist")


@pytest.fixture
def people():
    """250 accounts, 130 of them Andersons (more than one admin page)."""
    for number in range(250):
        surname = "Anderson" if number % 2 or number < 10 else "Baker"
        UserFactory(full_name=f"Person{number:03} {surname}")


def shown(client, query: dict) -> tuple[list[str], int]:
    response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    cl = response.context["cl"]
    return [user.username for user in cl.result_list], cl.result_count


def expected(users, ordering, page: int) -> tuple[list[str], int]:
    stock = Paginator(users.order_by(*ordering), 100)
    return [u.username for u in stock.page(page).object_list], stock.count


@pytest.mark.parametrize(
    ("query", "ordering"),
    [
        ({"q": "anderson"}, ("-created_at", "-id")),
        ({"q": "anderson", "p": "2"}, ("-created_at", "-id")),
        ({"q": "anderson", "o": "3", "p": "2"}, ("full_name", "-id")),
        ({"q": "anderson", "is_active__exact": "1"}, ("-created_at", "-id")),
    ],
)
def test_a_search_shows_the_stock_pages_and_count(
    superuser_client, people, query, ordering
):
    users = User.objects.search("anderson")
    if "is_active__exact" in query:
        users = users.filter(is_active=True)
    page = int(query.get("p", 1))
    assert shown(superuser_client, query) == expected(users, ordering, page)


def test_a_search_past_the_cap_is_counted_and_paged_as_before(
    superuser_client, people, monkeypatch
):
    monkeypatch.setattr(admin_paginator, "MATCHED_IDS_CAP", 20)
    query = {"q": "anderson", "p": "2"}
    users = User.objects.search("anderson")
    assert shown(superuser_client, query) == expected(users, ("-created_at", "-id"), 2)


@pytest.mark.parametrize("query", [{"p": "3"}, {"p": "2", "o": "2"}])
def test_a_deep_page_shows_the_stock_rows(superuser_client, people, monkeypatch, query):
    monkeypatch.setattr(admin_paginator, "DEFERRED_FROM", 50)
    ordering = ("-created_at", "-id") if "o" not in query else ("username", "-id")
    page = int(query["p"])
    assert shown(superuser_client, query) == expected(User.objects, ordering, page)


def test_a_deep_page_reads_its_ids_in_order_then_the_rows(people, monkeypatch):
    monkeypatch.setattr(admin_paginator, "DEFERRED_FROM", 50)
    users = User.objects.order_by("-created_at", "-id")
    pages = admin_paginator.UserAdminPaginator(users, 100)
    deep = pages.page(2)
    assert list(deep.object_list) == list(users[100:200])
    assert "OFFSET" not in str(deep.object_list.query)  # the rows by id


@pytest.mark.parametrize("query", [{"q": "person00"}, {"q": "anderson", "all": ""}])
def test_a_list_on_one_page_asks_the_search_once(superuser_client, people, query):
    """The stock change list takes its whole queryset when everything fits one
    page (or "Show all"): the search ran twice. On PostgreSQL (the search
    table) it runs once here, with the same rows."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    users = User.objects.search(query["q"]).order_by("-created_at", "-id")
    with CaptureQueriesContext(connection) as captured:
        rows, count = shown(superuser_client, query)
    assert (rows, count) == ([u.username for u in users], users.count())
    if connection.vendor == "postgresql":
        searches = [q for q in captured if "users_usersearch" in q["sql"]]
        assert len(searches) == 1, searches


@pytest.mark.parametrize(
    ("cap", "query"),
    [
        (130, {"q": "anderson"}),  # exactly the cap: the ids read, one page
        (130, {"q": "anderson", "p": "2"}),
        (129, {"q": "anderson", "p": "2"}),  # one past it: the stock count
        (130, {"q": "anderson", "all": ""}),
    ],
)
def test_a_search_at_the_cap_shows_every_match_once(
    superuser_client, people, monkeypatch, cap, query
):
    monkeypatch.setattr(admin_paginator, "MATCHED_IDS_CAP", cap)
    users = User.objects.search("anderson")
    page = int(query.get("p", 1))
    rows, count = shown(superuser_client, query)
    if "all" in query:
        assert sorted(rows) == sorted(u.username for u in users) and count == 130
    else:
        assert (rows, count) == expected(users, ("-created_at", "-id"), page)


@pytest.mark.parametrize(
    "term",
    [
        "nothing-matches",
        "'}{1,2}",
        "%_\\",
        "x'); DROP TABLE users_user; --",
        # Longer than any stored value: the search is none(), which has no SQL.
        "a" * 300,
    ],
)
def test_a_search_with_no_match_or_sql_text_is_a_plain_search(
    superuser_client, people, term
):
    """The matches' ids become one array literal built by the database: a term
    that looks like an array or SQL is still only a search term."""
    accounts = User.objects.count()
    users = User.objects.search(term)
    assert shown(superuser_client, {"q": term}) == expected(
        users, ("-created_at", "-id"), 1
    )
    assert shown(superuser_client, {"q": term, "all": ""})[1] == users.count()
    assert User.objects.count() == accounts
