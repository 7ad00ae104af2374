"""`make loadtest`: gunicorn + 100k users in PostgreSQL + locust, then checks.

Needs DATABASE_URL=postgres://... (uses the sibling database <name>_load).
With --fault, PostgreSQL is restarted mid-run (this machine's cluster, so never
in CI) and the run measures the 503 window and the recovery time.
"""

import argparse
import csv
import datetime
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file, only loadtest/ would be importable
from scripts import sandbox  # noqa: E402

BIN = Path(sandbox.PYTHON).parent
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}"
LOGIN, PASSWORD = "loadtest-admin", secrets.token_urlsafe(16)


def env_for(url: str) -> dict:
    return sandbox.environment(
        url,
        DEBUG="false",
        HTTPS="false",
        SECRET_KEY="loadtest-" + secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        STATIC_MANIFEST="true",
        BIND=f"127.0.0.1:{PORT}",
        # Staff hammer one account from one address: no lockouts in this test.
        LOGIN_FAILURE_LIMIT="100000",
        LOGIN_IP_FAILURE_LIMIT="100000",
        # Locust signs in with a password only; this measures the staff pages.
        MFA_REQUIRED="false",
    )


def prepare(url: str, users: int, ids_file: Path, static: bool = True) -> None:
    """Migrate, seed, the staff account and the ids file; static: collect the
    static files too (a minute of compression: the scale-out test, which
    fetches none, leaves it out)."""
    sandbox.create_database(url)
    env = env_for(url)
    sandbox.migrate(env, quiet=True)
    if static:
        sandbox.manage(env, "collectstatic", "--noinput", "-v0", quiet=True)
    sandbox.manage(env, "seed_users", "--count", str(users), "--seed", "7", quiet=True)
    script = (
        "from users import services; from users.models import User\n"
        f"u = User.objects.get_by_username({LOGIN!r}) or services.user_create("
        f"username={LOGIN!r}, email='loadtest@example.org', is_staff=True, "
        "is_superuser=True)\n"
        f"services.user_set_password(user=u, password={PASSWORD!r})\n"
        "import json\n"
        "ids = User.objects.filter(is_superuser=False).values_list('id', flat=True)\n"
        f"open({str(ids_file)!r}, 'w').write(json.dumps(list(ids)))"
    )
    sandbox.manage(env, "shell", "-c", script, quiet=True)


def wait_until_ready(timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{BASE}/readyz", timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not become ready")


def restart_postgres(after: float, down_for: float, log: dict) -> None:
    """Stop the cluster, keep it down, start it; then time /readyz recovery."""
    time.sleep(after)
    cluster = [
        "pg_ctlcluster",
        "--skip-systemctl-redirect",
        os.listdir("/etc/postgresql")[0],
        "main",
    ]
    log["stopped_at"] = time.monotonic()
    subprocess.run([*cluster, "stop", "-m", "fast"], check=True)
    time.sleep(down_for)
    subprocess.run([*cluster, "start"], check=True)
    log["started_at"] = time.monotonic()
    while True:
        try:
            with urllib.request.urlopen(f"{BASE}/readyz", timeout=2) as response:
                if response.status == 200:
                    log["ready_at"] = time.monotonic()
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.1)


def verify(url: str, writes_file: Path) -> dict:
    import psycopg

    writes = json.loads(writes_file.read_text())
    expected: dict[int, dict] = {}
    for write in writes:
        expected.setdefault(write["id"], {}).update(
            {k: v for k, v in write.items() if k != "id"}
        )
    missing = []
    with psycopg.connect(url) as conn:
        for pk, state in expected.items():
            row = conn.execute(
                "SELECT full_name, is_active FROM users_user WHERE id = %s", [pk]
            ).fetchone()
            actual = {"full_name": row[0], "is_active": row[1]}
            if any(actual[k] != v for k, v in state.items()):
                missing.append((pk, state, actual))
        names = [w["full_name"] for w in writes if "full_name" in w]
        audited = conn.execute(
            "SELECT COUNT(*) FROM users_auditevent WHERE action = 'update'"
            " AND changes->'full_name'->>1 = ANY(%s)",
            [names],
        ).fetchone()[0]
    return {
        "writes": len(writes),
        "users_written": len(expected),
        "mismatches": missing[:10],
        "mismatch_count": len(missing),
        "edits": len(names),
        "edits_audited": audited,
    }


def read_stats(prefix: str) -> list[dict]:
    with open(f"{prefix}_stats.csv") as handle:
        return list(csv.DictReader(handle))


def read_failures(prefix: str) -> dict[str, int]:
    """Failed requests by error (e.g. the status line), all endpoints together."""
    totals: dict[str, int] = {}
    with open(f"{prefix}_failures.csv") as handle:
        for row in csv.DictReader(handle):
            error = row["Error"].split(" for url")[0]
            totals[error] = totals.get(error, 0) + int(row["Occurrences"])
    return totals


def report(stats, failures: dict, checks: dict, fault: dict | None, args) -> str:
    lines = [
        f"# noogh load test, {datetime.date.today().isoformat()}",
        "",
        f"gunicorn ({os.cpu_count()} cores, gunicorn.conf.py defaults) on 127.0.0.1, "
        f"{args.users:,} users in PostgreSQL, locust headless: {args.clients} staff "
        f"clients for {args.seconds} s on the same machine.",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in stats:
        lines.append(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | "
            f"{row['99%']} |"
        )
    written = checks["users_written"]
    lines += [
        "",
        "Failed requests by error: "
        + (
            "; ".join(f"{error}: {count}" for error, count in failures.items())
            or "none"
        )
        + ".",
    ]
    lines += [
        "",
        f"Writes confirmed by the server: {checks['writes']} on {written} users; "
        f"in the database as written: {written - checks['mismatch_count']}/{written}; "
        f"edits in the audit trail: {checks['edits_audited']}/{checks['edits']}.",
    ]
    if fault:
        down = fault["started_at"] - fault["stopped_at"]
        recovery = fault["ready_at"] - fault["started_at"]
        lines += [
            "",
            f"Fault: PostgreSQL stopped for {down:.1f} s; /readyz answered 200 again "
            f"{recovery:.1f} s after it was back.",
        ]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=180)
    parser.add_argument("--fault", action="store_true")
    args = parser.parse_args()
    url = sandbox.sibling_url(sandbox.postgres_url("make loadtest"), "load")
    workdir = tempfile.TemporaryDirectory()
    ids_file = Path(workdir.name) / "ids.json"
    prepare(url, args.users, ids_file)
    env = env_for(url)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "-c",
            "gunicorn.conf.py",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=ROOT,
        env=env,
        stderr=subprocess.DEVNULL,
    )
    fault: dict = {}
    try:
        wait_until_ready()
        with tempfile.TemporaryDirectory() as work:
            prefix, writes = f"{work}/locust", Path(work) / "writes.json"
            if args.fault:
                threading.Thread(
                    target=restart_postgres,
                    args=(args.seconds / 3, 5, fault),
                    daemon=True,
                ).start()
            subprocess.run(
                [
                    str(BIN / "locust"),
                    "-f",
                    "loadtest/locustfile.py",
                    "--headless",
                    "-u",
                    str(args.clients),
                    "-r",
                    str(args.clients),
                    "-t",
                    f"{args.seconds}s",
                    "--host",
                    BASE,
                    "--csv",
                    prefix,
                    "--only-summary",
                    "--stop-timeout",
                    "10",
                ],
                cwd=ROOT,
                check=False,
                env=env
                | {
                    "LOADTEST_IDS": str(ids_file),
                    "LOADTEST_USERS": str(args.clients),
                    "LOADTEST_LOGIN": LOGIN,
                    "LOADTEST_PASSWORD": PASSWORD,
                    "LOADTEST_WRITES": str(writes),
                },
            )
            stats, failures = read_stats(prefix), read_failures(prefix)
            checks = verify(url, writes)
    finally:
        server.terminate()
        server.wait(timeout=30)
        workdir.cleanup()
    text = report(stats, failures, checks, fault if args.fault else None, args)
    suffix = "-fault" if args.fault else ""
    out = (
        ROOT
        / "loadtest"
        / "results"
        / f"{datetime.date.today().isoformat()}{suffix}.md"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    print(f"written to {out.relative_to(ROOT)}")
    if checks["mismatch_count"] or checks["edits_audited"] != checks["edits"]:
        raise SystemExit("some confirmed writes are not in the database or the trail")


if __name__ == "__main__":
    main()
