"""A first load (imports.firstload: PostgreSQL, an empty users table) gives what
the general path gives - the same accounts in the same order, the same audit
events, the same search copies, the same rejections - and leaves every index,
key and trigger as it found them, also when the rows repeat one another."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from users import services
from users.models import AuditEvent, User, UserSearch
from users.services import imports

from .markers import postgres_only
from .tampering import clear_trail

pytestmark = [pytest.mark.django_db, postgres_only]
HEADER = "username,email,full_name,is_active,is_superuser,created_at\n"
ROWS = (
    "ada,Ada@Example.COM,Ada Lovelace,true,false,2020-01-02T03:04:05Z\n"
    "root,root@example.com,Root,yes,true,2021-06-01\n"
    "off,off@example.com,Off Line,false,,2022-02-02\n"
    "grace,grace@example.com,Grace Hopper,,,2023-03-03T12:00:00+01:00\n"
)
SCHEMA_SQL = """
SELECT 'index', indexrelid::regclass::text, pg_get_indexdef(indexrelid)
FROM pg_index WHERE indrelid IN ('users_user'::regclass, 'users_usersearch'::regclass)
UNION ALL
SELECT 'constraint', conname, pg_get_constraintdef(oid) FROM pg_constraint
WHERE conrelid IN ('users_user'::regclass, 'users_usersearch'::regclass)
UNION ALL
SELECT 'trigger', tgname, tgenabled::text FROM pg_trigger
WHERE tgrelid = 'users_user'::regclass AND NOT tgisinternal
"""


def schema() -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(SCHEMA_SQL)
        return set(cursor.fetchall())


def run(tmp_path, text: str, *args) -> None:
    path = tmp_path / "users.csv"
    path.write_text(HEADER + text, encoding="utf-8")
    call_command("import_users", str(path), *args)


def outcome() -> dict:
    """What an import left, without ids (they differ between runs)."""
    order = list(User.objects.order_by("pk").values_list("username", flat=True))
    fields = ("username", "email", "full_name", "is_active", "is_staff")
    return {
        "users": sorted(
            User.objects.values_list(*fields, "is_superuser", "created_at")
        ),
        "order": order,
        "events": sorted(
            (e.action, e.target_label, str(sorted(e.changes.items())))
            for e in AuditEvent.objects.exclude(action=AuditEvent.Action.IMPORT)
        ),
        "summary": [
            e.changes
            for e in AuditEvent.objects.filter(action=AuditEvent.Action.IMPORT)
        ],
        "copies": sorted(
            UserSearch.objects.values_list("user__username", "email", "full_name")
        ),
        "found": sorted(User.objects.search("hopp").values_list("username", flat=True)),
    }


def forget_everything() -> None:
    User.objects.all().delete()
    clear_trail()  # the guarded trail: TRUNCATE, as a test teardown does


@pytest.fixture
def paths(monkeypatch):
    """Which path each import took."""
    taken = []
    first = imports.load_into_empty

    def spy(*args):
        result = first(*args)
        taken.append("first load" if result else "general")
        return result

    monkeypatch.setattr(imports, "load_into_empty", spy)
    return taken


def test_a_first_load_gives_what_the_general_path_gives(tmp_path, monkeypatch, paths):
    before = schema()
    run(tmp_path, ROWS)
    assert paths == ["first load"]
    assert schema() == before  # indexes, keys and triggers all back
    first = outcome()
    assert first["found"] == ["grace"]
    assert len(first["events"]) == 4 and len(first["copies"]) == 4

    forget_everything()
    monkeypatch.setattr(imports, "fills_empty_table", lambda unrestricted: False)
    run(tmp_path, ROWS)
    assert outcome() == first


def test_rerunning_a_first_load_changes_nothing(tmp_path, paths, capsys):
    run(tmp_path, ROWS)
    first = outcome()
    run(tmp_path, ROWS)
    assert paths == ["first load"]  # the second run found the table filled
    assert "0 created, 0 updated, 4 already there" in capsys.readouterr().out
    again = outcome()
    assert again["users"] == first["users"] and again["events"] == first["events"]


def test_repeated_rows_are_rejected_by_line_as_on_the_general_path(
    tmp_path, monkeypatch, paths
):
    before = schema()
    rows = ROWS + (
        "ADA,other@example.com,Other,,,2024-01-01\n"
        "bob,GRACE@example.com,Bob,,,2024-01-01\n"
    )
    with pytest.raises(CommandError, match="2 row"):
        run(tmp_path, rows)
    assert paths == ["general"]  # tried, found the repeats, rolled back
    assert schema() == before
    errors = (tmp_path / "users.csv.errors.csv").read_text()
    assert '"6","username"' in errors and '"7","email"' in errors
    first = outcome()
    assert len(first["users"]) == 4

    forget_everything()
    monkeypatch.setattr(imports, "fills_empty_table", lambda unrestricted: False)
    with pytest.raises(CommandError, match="2 row"):
        run(tmp_path, rows)
    assert outcome() == first


def test_repeats_with_on_conflict_fail_import_nothing(tmp_path):
    before = schema()
    with pytest.raises(CommandError, match="nothing was imported"):
        run(tmp_path, ROWS + "Root,x@example.com,X,,,\n", "--on-conflict", "fail")
    assert not User.objects.exists() and not UserSearch.objects.exists()
    assert schema() == before


def test_a_dry_run_first_load_writes_nothing(tmp_path, paths):
    before = schema()
    run(tmp_path, ROWS, "--dry-run")
    assert paths == ["first load"]
    assert not User.objects.exists() and not AuditEvent.objects.exists()
    assert schema() == before


def test_only_an_empty_table_takes_the_first_load(tmp_path, paths):
    services.user_create(
        actor=None, username="there", email="there@example.com", full_name="T"
    )
    run(tmp_path, ROWS)
    assert paths == []  # never tried: the table was not empty
    assert User.objects.count() == 5
    assert sorted(
        User.objects.search("lovelace").values_list("username", flat=True)
    ) == ["ada"]


def test_verbose_runs_report_each_step(tmp_path, capsys):
    """-v 2 names the steps that bound an import (the benchmark prints them)."""
    run(tmp_path, ROWS, "-v", "2")
    first = capsys.readouterr().out
    for step in ("read + stage", "insert", "trail", "trigram indexes", "commit"):
        assert f"{step} " in first
    run(tmp_path, ROWS.replace("ada,", "ada2,").replace("Ada@", "Ada2@"), "-v", "2")
    into_filled = capsys.readouterr().out
    for step in ("checks", "merge + trail", "trigram pending lists"):
        assert f"{step} " in into_filled
