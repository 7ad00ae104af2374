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
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from users import services  # noqa: E402
from users.managers.dormancy import idle_since  # noqa: E402
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


def timed_get(client: Client, url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = client.get(url)
    body = (
        b"".join(response.streaming_content) if response.streaming else response.content
    )
    assert response.status_code == 200, response.status_code
    return time.perf_counter() - started, body


def run_lifecycle(days: int) -> dict:
    """`manage.py lifecycle` in a child: its wall time, output, peak RSS."""
    env = os.environ | {"DORMANT_AFTER_DAYS": str(days)}
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "manage.py", "lifecycle"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"lifecycle failed: {output}")
    return {
        "seconds": time.monotonic() - started,
        "peak_rss_mb": usage.ru_maxrss / 1024,
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
    csv_s, csv_body = timed_get(client, reverse("users:dormant_export"))
    would = csv_body.count(b"\n") - 1  # the header
    before = AuditEvent.objects.filter(action=AuditEvent.Action.DORMANT).count()
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
