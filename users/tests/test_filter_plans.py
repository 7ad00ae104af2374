"""On PostgreSQL with 10k users, every filter of the console - on the list
page, its API and the admin - reads through indexes: no scan of the users
table (the partial indexes of migration 0023 for the rare states)."""

from contextlib import contextmanager

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from users.models import User

from .factories import SuperuserFactory
from .markers import postgres_only
from .test_query_plans import assert_indexed, ten_thousand_users  # noqa: F401

pytestmark = [pytest.mark.django_db, postgres_only]

# The states seed data leaves out, as a live site has them: few staff,
# superusers, suspended and expiring accounts (plain SQL: the plans' data).
STATES_SQL = [
    "UPDATE users_user SET is_staff = true WHERE id %% 97 = 5",
    "UPDATE users_user SET is_superuser = true, is_staff = true WHERE id %% 2000 = 11",
    "INSERT INTO users_suspension (user_id, reason, note, message, at, by_label) "
    "SELECT id, 'other', '', '', now(), 'test' FROM users_user "
    "WHERE NOT is_active AND id %% 10 = 7",
    "UPDATE users_user SET active_until = now() + (id %% 30) * interval '1 day' "
    "+ interval '1 hour' WHERE is_active AND id %% 50 = 3",
]


@pytest.fixture(scope="module")
def states(ten_thousand_users, django_db_blocker):  # noqa: F811
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        for sql in STATES_SQL:
            cursor.execute(sql, {})
        for table in ("users_user", "users_suspension", "users_user_groups"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM users_suspension")


def group(name: str) -> str:
    return str(Group.objects.get(name=name).pk)


# The console's filters (users.listing.UserFilter), one value each.
LIST_FILTERS = {
    "deactivated": lambda: {"is_active": "false"},
    "active": lambda: {"is_active": "true"},
    "staff": lambda: {"is_staff": "true"},
    "superusers": lambda: {"is_superuser": "true"},
    "not staff": lambda: {"is_staff": "false"},
    "never logged in": lambda: {"last_login": "never"},
    "logged in in the last 7 days": lambda: {"last_login": "last_7_days"},
    "logged in this year": lambda: {"last_login": "this_year"},
    "small group": lambda: {"group": group("Team")},
    "large group": lambda: {"group": group("Customers")},
    "suspended": lambda: {"status": "suspended"},
    "deactivated, not suspended": lambda: {"status": "deactivated"},
    "access ends within 7 days": lambda: {"expiring": "7d"},
    "access ends within 30 days": lambda: {"expiring": "30d"},
    "deactivated staff": lambda: {"is_active": "false", "is_staff": "true"},
}
# Filters most accounts pass: their capped count may scan the table, as it
# stops at COUNT_CAP + 1 matches (~11,000 rows read at any table size).
MAJORITY = {"active", "not staff", "logged in this year"}
# Suspended accounts are a join with the suspensions: at 10k users (116 of
# them) hashing the whole small users table can be the cheaper plan; at 1M
# (986) the planner fetches each by primary key (bench/measure.py, "filter
# status=suspended"). Here: that the index path exists.
JOINED = {"suspended"}
# Where the partial indexes are the way in: the first page's query names them.
STATE_INDEXES = {
    "deactivated": "users_user_inactive_idx",
    "staff": "users_user_staff_idx",
    "superusers": "users_user_superuser_idx",
    "deactivated, not suspended": "users_user_inactive_idx",
    "never logged in": "users_user_never_logged_in_idx",
}


@contextmanager
def index_paths_only(active: bool):
    """For JOINED: plans as the planner would choose at 1M users, where
    sequential scans cost too much to be chosen (enable_seqscan = off only
    prices them out: with no index path the plan still scans)."""
    if active:
        with connection.cursor() as cursor:
            cursor.execute("SET enable_seqscan = off")
    try:
        yield
    finally:
        if active:
            with connection.cursor() as cursor:
                cursor.execute("RESET enable_seqscan")


def explained(captured) -> list[str]:
    """The plan of every read of the users table among captured queries."""
    plans = []
    with connection.cursor() as cursor:
        for query in captured:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            if "users_user" not in sql:
                continue
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(line for (line,) in cursor.fetchall()))
    return plans


def plans_of(client, url: str, query: dict) -> list[str]:
    client.get(url, query)  # the first request also refreshes the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, query)
    assert response.status_code == 200, response.content[:500]
    return explained(captured)


@pytest.fixture
def staff_client(client, states):
    client.force_login(SuperuserFactory())
    return client


@pytest.mark.parametrize("name", LIST_FILTERS)
def test_each_list_filter_reads_through_indexes(staff_client, name):
    """The list page's every query (first page with its capped count, the
    rules' reads for the rows)."""
    query = LIST_FILTERS[name]()
    with index_paths_only(name in JOINED):
        plans = plans_of(staff_client, reverse("users:list"), query)
    for plan in plans:
        if name in MAJORITY:
            assert_bounded(plan)
        else:
            assert_indexed(plan)
    if name in STATE_INDEXES:
        assert any(STATE_INDEXES[name] in plan for plan in plans), plans


def assert_bounded(plan: str) -> None:
    """A scan of the users table only right under a LIMIT (it stops early)."""
    lines = plan.splitlines()
    for number, line in enumerate(lines):
        if "Seq Scan on users_user " in line:
            assert number and "Limit" in lines[number - 1], plan
    assert "Seq Scan on users_usersearch" not in plan, plan


@pytest.mark.parametrize("name", ["deactivated", "staff", "superusers"])
def test_each_api_filter_reads_through_indexes(staff_client, name):
    for plan in plans_of(staff_client, "/api/users", LIST_FILTERS[name]()):
        assert_indexed(plan)


ADMIN_FILTERS = {
    "deactivated": {"is_active__exact": "0"},
    "staff": {"is_staff__exact": "1"},
    "superusers": {"is_superuser__exact": "1"},
    "suspended": {"status": "suspended"},
    "deactivated, not suspended": {"status": "deactivated"},
    "access ends within 7 days": {"status": "expiring"},
}


@pytest.mark.parametrize("name", ADMIN_FILTERS)
def test_each_admin_filter_reads_through_indexes(staff_client, name):
    url = reverse("admin:users_user_changelist")
    with index_paths_only(name in JOINED):
        for plan in plans_of(staff_client, url, ADMIN_FILTERS[name]):
            assert_indexed(plan)


def test_a_page_with_a_superuser_reads_the_active_superusers_by_index(states):
    """The last-superuser rule's read, on every list page showing one."""
    with CaptureQueriesContext(connection) as captured:
        User.objects.lock_active_superuser_ids()
    (plan,) = explained(captured)
    assert "users_active_superuser_idx" in plan and "Seq Scan" not in plan, plan
