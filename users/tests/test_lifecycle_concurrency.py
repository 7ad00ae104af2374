"""The lifecycle run on PostgreSQL: two runs at once do each account once; a
run killed (SIGKILL) inside a batch leaves each account fully processed or
untouched, and a rerun finishes."""

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.utils import timezone

from users.models import AuditEvent, User

from .factories import SuperuserFactory, UserFactory
from .markers import postgres_only

pytestmark = [pytest.mark.django_db(transaction=True), postgres_only]
ROOT = Path(__file__).resolve().parents[2]
EXPIRE = AuditEvent.Action.EXPIRE


def expired_accounts(count: int) -> list[int]:
    SuperuserFactory()
    ids = [UserFactory().pk for _ in range(count)]
    past = timezone.now() - timedelta(minutes=1)
    User.objects.filter(pk__in=ids).update(active_until=past)
    return ids


def expire_events() -> dict[int, int]:
    counts: dict[int, int] = {}
    for target in AuditEvent.objects.filter(action=EXPIRE).values_list(
        "target_id", flat=True
    ):
        counts[target] = counts.get(target, 0) + 1
    return counts


def test_two_runs_at_once_process_each_account_once():
    ids = expired_accounts(60)
    start = threading.Barrier(2)

    def one_run():
        try:
            start.wait()
            call_command("lifecycle", "--batch-size", "3", stdout=StringIO())
        finally:
            connections.close_all()

    runs = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(60)
    assert expire_events() == dict.fromkeys(ids, 1)
    assert not User.objects.filter(pk__in=ids, is_active=True).exists()


def lifecycle_process() -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    return subprocess.Popen(
        [sys.executable, "manage.py", "lifecycle", "--batch-size", "4"],
        cwd=ROOT,
        env=os.environ | {"DATABASE_URL": url, "DEBUG": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def waiting_for_a_lock(process: subprocess.Popen) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
            " AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def kill_inside_a_batch(process: subprocess.Popen, action: str) -> None:
    """SIGKILL a lifecycle run inside a batch: once a few batches of `action`
    are recorded, hold the trail's table, so that the next batch has changed
    its accounts and waits, uncommitted, to write their events; then kill it."""
    try:
        deadline = time.monotonic() + 60
        while AuditEvent.objects.filter(action=action).count() < 8:
            assert process.poll() is None, process.stderr.read()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "LOCK TABLE users_auditevent IN SHARE ROW EXCLUSIVE MODE"
                )
            while not waiting_for_a_lock(process):
                assert process.poll() is None, "the run ended before it was killed"
                assert time.monotonic() < deadline
                time.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.slow
def test_a_killed_run_leaves_accounts_whole_and_a_rerun_finishes():
    ids = expired_accounts(400)
    kill_inside_a_batch(lifecycle_process(), EXPIRE)
    counts = expire_events()
    accounts = User.objects.filter(pk__in=ids)
    processed = set(
        accounts.filter(is_active=False, active_until=None).values_list("pk", flat=True)
    )
    untouched = set(
        accounts.filter(is_active=True, active_until__isnull=False).values_list(
            "pk", flat=True
        )
    )
    assert processed | untouched == set(ids)
    assert set(counts) == processed and set(counts.values()) == {1}
    assert processed and untouched  # killed midway
    call_command("lifecycle", stdout=StringIO())
    assert expire_events() == dict.fromkeys(ids, 1)
