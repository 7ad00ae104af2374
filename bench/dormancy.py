"""Time the dormant-account policy at scale: the preview page (count and
sample) and its CSV, then the run (`manage.py lifecycle`) deactivating ~10%
of the users with one audit event each, and its peak memory against an idle
run's. Prints JSON with pass/fail against the targets (preview <= 2 s, run
<= 30 s). The run changes the database: bench/run.py gives this script a
scratch copy of the big one.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from users import services  # noqa: E402
from users.managers.dormancy import DormancyPolicy, idle_since  # noqa: E402
from users.models import AuditEvent, User  # noqa: E402

PREVIEW_TARGET_S, RUN_TARGET_S = 2.0, 30.0
ROOT = Path(__file__).resolve().parent.parent


def days_for_a_tenth() -> int:
    """The policy's N that leaves about a tenth of the users dormant."""
    users = User.objects.count()
    idle = User.objects.active().annotate(idle=idle_since()).order_by("idle", "pk")
    tenth = idle.values_list("idle", flat=True)[users // 10]
    return (timezone.now() - tenth).days


def staff_client() -> Client:
    admin = User.objects.get_by_username("bench-dormancy") or services.user_create(
        actor=None,
        username="bench-dormancy",
        email="bench-dormancy@example.org",
        is_staff=True,
        is_superuser=True,
    )
    client = Client()
    client.force_login(admin)  # a login now: never dormant itself
    return client


def timed_get(client: Client, url: str) -> tuple[float, int]:
    """Seconds to fetch url to its end, and how many lines it had (streamed
    bodies are counted as they come, never held)."""
    started = time.perf_counter()
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    chunks = response.streaming_content if response.streaming else [response.content]
    lines = sum(chunk.count(b"\n") for chunk in chunks)
    return time.perf_counter() - started, lines


# Runs the command in a grandchild and prints its peak RSS: a child forked
# straight from this (large) process would report this process's size as its
# own peak (Linux carries the high-water mark across fork and exec).
PEAK_OF_CHILD = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, text=True)
print(done.stdout, end="")
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(f"peak_rss_kb={peak}")
sys.exit(done.returncode)
"""


def run_lifecycle(days: int) -> dict:
    """`manage.py lifecycle`: its wall time, output and peak RSS."""
    env = os.environ | {"DORMANT_AFTER_DAYS": str(days)}
    command = [sys.executable, "manage.py", "lifecycle"]
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", PEAK_OF_CHILD, *command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"lifecycle failed: {done.stdout} {done.stderr}")
    output, _, peak = done.stdout.rpartition("peak_rss_kb=")
    return {
        "seconds": seconds,
        "peak_rss_mb": int(peak) / 1024,
        "output": output.strip(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    days = days_for_a_tenth()
    settings.DORMANT_AFTER_DAYS = days
    client = staff_client()
    timed_get(client, reverse("users:dormant"))  # warm-up
    previews = [
        timed_get(client, reverse("users:dormant"))[0] for _ in range(args.repeat)
    ]
    csv_s, csv_lines = timed_get(client, reverse("users:dormant_export"))
    policy = DormancyPolicy.from_settings()
    would = User.objects.dormant(policy, timezone.now()).count()
    before = AuditEvent.objects.filter(action=AuditEvent.Action.DORMANT).count()
    with connection.cursor() as cursor:
        # The run starts a checkpoint cycle of its own: what it costs (its
        # full-page writes) does not depend on what ran before it.
        cursor.execute("CHECKPOINT")
    run = run_lifecycle(days)
    idle_run = run_lifecycle(days)  # nothing left: the baseline for memory
    events = (
        AuditEvent.objects.filter(action=AuditEvent.Action.DORMANT).count() - before
    )
    preview_p50 = statistics.median(previews)
    result = {
        "users": User.objects.count(),
        "dormant_days": days,
        "would_deactivate": would,
        "preview_s_p50": preview_p50,
        "preview_s_max": max(previews),
        "csv_s": csv_s,
        "csv_lines": csv_lines,
        "run_s": run["seconds"],
        "run_peak_rss_mb": run["peak_rss_mb"],
        "idle_run_peak_rss_mb": idle_run["peak_rss_mb"],
        "deactivated_events": events,
        "run_output": run["output"],
        "preview_pass": preview_p50 <= PREVIEW_TARGET_S,
        "run_pass": run["seconds"] <= RUN_TARGET_S and events == would,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
