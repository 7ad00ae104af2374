"""import_users killed (SIGKILL) in the middle of a first load on PostgreSQL - the
indexes dropped, the accounts and their search copies inserted, the trail
waiting - leaves the table as it was, indexes, keys and triggers included; a
rerun imports everything, and another changes nothing."""

import os
import signal
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from users.models import AuditEvent, User, UserSearch

from .markers import postgres_only
from .test_import_firstload import schema

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]
ROOT = Path(__file__).resolve().parents[2]
ROWS = 5000


def import_process(path: Path) -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return subprocess.Popen(
        [sys.executable, "manage.py", "import_users", str(path)],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": url, "DEBUG": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        # Inside a transaction the activity view is read once, then cached.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def kill_when_it_waits(process: subprocess.Popen) -> None:
    """Hold the trail's table so that the load stops at its audit events,
    with its users inserted and indexes dropped; then kill it."""
    deadline = time.monotonic() + 120
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE users_auditevent IN SHARE ROW EXCLUSIVE MODE")
        while not waiting_for_a_lock():
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait(10)


@pytest.mark.slow
def test_a_killed_first_load_leaves_nothing_and_a_rerun_imports_it_all(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text(
        "username,email,full_name\n"
        + "".join(f"u{n},u{n}@example.com,User Number{n}\n" for n in range(ROWS)),
        encoding="utf-8",
    )
    before = schema()
    process = import_process(path)
    try:
        kill_when_it_waits(process)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == -signal.SIGKILL
    # The server rolls the orphaned transaction back (these wait for it).
    assert not User.objects.exists() and not UserSearch.objects.exists()
    assert not AuditEvent.objects.exists()
    assert schema() == before

    call_command("import_users", str(path), stdout=StringIO())
    assert User.objects.count() == UserSearch.objects.count() == ROWS
    assert User.objects.search("number4999").get().username == "u4999"
    assert AuditEvent.objects.filter(action=AuditEvent.Action.CREATE).count() == ROWS
    assert schema() == before
    out = StringIO()
    call_command("import_users", str(path), stdout=out)
    assert f"0 created, 0 updated, {ROWS:,} already there" in out.getvalue()
    assert User.objects.count() == ROWS
