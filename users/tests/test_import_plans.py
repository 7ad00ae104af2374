"""The import's SQL keeps good plans on PostgreSQL (regression: 60,000 rows into a
300,000-user table ran for hours in the "created" events' join, a nested loop
over sequential scans, because the planner took the new rows for one).

Each statement that reads the staging tables is EXPLAINed as the import runs
(EXPLAIN without ANALYZE executes nothing), against a users table whose
statistics predate the import, as they do in production."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from users import services
from users.imports import Staging
from users.imports.indexes import analyze_users

from .markers import postgres_only

pytestmark = [pytest.mark.django_db, postgres_only]
STAGING_TABLES = ("users_staging", "users_changes", "users_rejected")
BIG_TABLES = ("users_user", "users_staging")
EXPLAINABLE = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


def staged(prefix: str, count: int, start: int = 0, full_name: str = "Name"):
    created = datetime(2024, 1, 1, tzinfo=UTC)
    for n in range(start, start + count):
        name = f"{prefix}{n}"
        yield (
            n + 2,
            name,
            f"{name}@example.com",
            f"{full_name} {n}",
            True,
            False,
            False,
            created,
            "!",
            None,
        )


def nested_loops_over_scans(plan: dict) -> list[str]:
    """Nested loops whose inner side scans a big table from end to end."""
    found = []
    children = plan.get("Plans", [])
    if plan["Node Type"] == "Nested Loop" and len(children) == 2:
        found += [
            node["Relation Name"]
            for node in walk(children[1])
            if node["Node Type"] == "Seq Scan"
            and node.get("Relation Name") in BIG_TABLES
        ]
    for child in children:
        found += nested_loops_over_scans(child)
    return found


def walk(plan: dict):
    yield plan
    for child in plan.get("Plans", []):
        yield from walk(child)


class PlanCollector:
    """A connection wrapper that EXPLAINs every statement on the staging tables."""

    def __init__(self):
        self.plans: list[tuple[str, dict]] = []

    def __call__(self, execute, sql, params, many, context):
        statement = " ".join(sql.split())
        upper = statement.upper()
        if (
            not many
            and (upper.startswith(EXPLAINABLE) or " AS SELECT " in upper)
            and any(table in statement for table in STAGING_TABLES)
            and not upper.startswith("ANALYZE")
        ):
            with context["connection"].connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
                self.plans.append((statement, cursor.fetchone()[0][0]["Plan"]))
        return execute(sql, params, many, context)


def test_no_statement_of_an_import_loops_over_a_whole_table():
    services.users_import(staged("old", 3000), actor=None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE users_user")  # stale from here on, as in production
    collector = PlanCollector()
    with connection.execute_wrapper(collector):
        # 1,500 stored users changed, 3,000 new ones.
        result = services.users_import(
            staged("old", 1500, full_name="Renamed"),
            actor=None,
            on_conflict="update",
        )
        services.users_import(staged("new", 3000), actor=None)
    assert result.updated == 1500
    assert len(collector.plans) >= 5
    bad = {
        statement[:120]: tables
        for statement, plan in collector.plans
        if (tables := nested_loops_over_scans(plan))
    }
    assert not bad
    # The "created" events come from the INSERT's RETURNING: no statement
    # writing the trail reads users_user back.
    trail = [p for s, p in collector.plans if "users_auditevent" in s]
    assert len(trail) == 4
    assert not [
        node
        for plan in trail
        for node in walk(plan)
        if "Scan" in node["Node Type"] and node.get("Relation Name") == "users_user"
    ]


def test_the_staged_rows_are_analysed_before_they_are_joined(monkeypatch):
    seen = []
    check = Staging.reject_duplicates_within

    def analysed_first(self):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples FROM pg_class WHERE oid = 'users_staging'::regclass"
            )
            seen.append(cursor.fetchone()[0])
        return check(self)

    monkeypatch.setattr(Staging, "reject_duplicates_within", analysed_first)
    services.users_import(staged("old", 1), actor=None)  # not a first load
    services.users_import(staged("new", 500), actor=None)
    assert seen[-1] == 500  # -1 when a table was never analysed


def analyzed_after(changed: int) -> bool:
    with CaptureQueriesContext(connection) as queries:
        analyze_users(changed)
    return any(query["sql"].startswith("ANALYZE") for query in queries)


def test_statistics_are_refreshed_when_autovacuum_would_find_them_stale():
    services.users_import(staged("s", 40), actor=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'users_user'")
        assert cursor.fetchone()[0] == 40  # counted by the first load's index builds
    # Autovacuum's threshold: 50 rows + 10% of the table's.
    assert not analyzed_after(53)
    assert analyzed_after(54)
