"""The dormant-account policy's run on PostgreSQL: two runs at once deactivate
each account once; a run killed (SIGKILL) inside a batch leaves each account
fully processed (deactivated, sessions ended, recorded) or untouched, and a
rerun finishes."""

import os
import subprocess
import sys
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection, connections

from users.models import AuditEvent, User

from .dormancy import AFTER, dormant_policy, idle  # noqa: F401
from .factories import SuperuserFactory
from .markers import postgres_only
from .test_lifecycle_concurrency import ROOT, kill_inside_a_batch

pytestmark = [
    pytest.mark.django_db(transaction=True),
    postgres_only,
    pytest.mark.usefixtures("dormant_policy"),
]
DORMANT = AuditEvent.Action.DORMANT


def dormant_accounts(count: int, superusers: int = 0) -> list[int]:
    SuperuserFactory()  # active, not dormant: the others may go
    ids = [idle(AFTER + 1 + n % 30).pk for n in range(count)]
    ids += [idle(AFTER + 2, factory=SuperuserFactory).pk for _ in range(superusers)]
    return ids


def dormant_events() -> dict[int, int]:
    counts: dict[int, int] = {}
    for target in AuditEvent.objects.filter(action=DORMANT).values_list(
        "target_id", flat=True
    ):
        counts[target] = counts.get(target, 0) + 1
    return counts


def test_two_runs_at_once_deactivate_each_account_once():
    ids = dormant_accounts(60, superusers=3)
    start = threading.Barrier(2)

    def one_run():
        try:
            start.wait()
            call_command("lifecycle", "--dormant-batch-size", "3", stdout=StringIO())
        finally:
            connections.close_all()

    runs = [threading.Thread(target=one_run) for _ in range(2)]
    for thread in runs:
        thread.start()
    for thread in runs:
        thread.join(60)
    assert dormant_events() == dict.fromkeys(ids, 1)
    accounts = User.objects.filter(pk__in=ids)
    assert not accounts.filter(is_active=True).exists()
    assert set(accounts.values_list("session_epoch", flat=True)) == {1}


def lifecycle_process() -> subprocess.Popen:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    environment = {"DATABASE_URL": url, "DEBUG": "true"}
    environment["DORMANT_AFTER_DAYS"] = str(AFTER)
    return subprocess.Popen(
        [sys.executable, "manage.py", "lifecycle", "--dormant-batch-size", "4"],
        cwd=ROOT,
        env=os.environ | environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


@pytest.mark.slow
def test_a_killed_run_leaves_accounts_whole_and_a_rerun_finishes():
    ids = dormant_accounts(400)
    kill_inside_a_batch(lifecycle_process(), DORMANT)
    counts = dormant_events()
    accounts = User.objects.filter(pk__in=ids)
    processed = set(
        accounts.filter(is_active=False, session_epoch=1).values_list("pk", flat=True)
    )
    untouched = set(
        accounts.filter(is_active=True, session_epoch=0).values_list("pk", flat=True)
    )
    assert processed | untouched == set(ids)
    assert set(counts) == processed and set(counts.values()) == {1}
    assert processed and untouched  # killed midway
    call_command("lifecycle", stdout=StringIO())
    assert dormant_events() == dict.fromkeys(ids, 1)
    assert not accounts.filter(is_active=True).exists()
