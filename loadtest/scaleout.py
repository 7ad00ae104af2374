"""`make scaleout-test`: the scale-out of docs/scaling.md, on this machine.

A streaming replica of the primary cluster, PgBouncer in transaction mode in
front of each, two gunicorn app servers behind nginx (TLS, X-Forwarded-For,
X-Forwarded-Proto), and the locust staff load through all of it while:
the replica lags on purpose (recovery_min_apply_delay), one app server is
killed and later started again, the replica is stopped and started again, and
the primary's PgBouncer is restarted. Then the checks of
loadtest/scaleout_checks.py, and the figures in loadtest/results/.

Needs root (it installs missing Debian packages and runs PostgreSQL and
PgBouncer as the postgres user) and DATABASE_URL=postgres://... on the
primary at 127.0.0.1 (works in <name>_scaleout, kept for the next run).
Everything it starts binds to 127.0.0.1 and is stopped and removed at the
end, on failure or on SIGTERM/SIGINT too; on the primary it only adds a
replication line to pg_hba.conf and a replication slot, both removed again.
"""

import argparse
import datetime
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from loadtest import run as loadtest
from loadtest import scaleout_checks as checks
from loadtest.pgstack import Bouncer, PrimaryAccess, Replica
from loadtest.webstack import AppServers, Proxy, ensure_packages
from scripts import sandbox

ROOT = Path(__file__).resolve().parent.parent
LOCKOUT_LOGIN = "scaleout-lockout"
LOGS = Path(tempfile.gettempdir()) / "noogh-scaleout-last-logs"
SPOOFED = "198.51.100.23"


def app_env(url: str, primary: Bouncer, replica: Bouncer) -> dict:
    name = urlsplit(url).path.strip("/")
    through = "postgres://postgres@127.0.0.1:{}/" + name
    return sandbox.environment(
        through.format(primary.port),
        DATABASE_REPLICA_URL=through.format(replica.port),
        # The pooler keeps server connections; Django opens one per request.
        CONN_MAX_AGE="0",
        # Cursors WITH HOLD do not survive transaction pooling.
        DISABLE_SERVER_SIDE_CURSORS="true",
        DEBUG="false",
        HTTPS="true",
        TRUST_X_FORWARDED_PROTO="true",
        TRUSTED_PROXY_COUNT="1",
        SECRET_KEY="scaleout-" + secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # Plain static storage: no collectstatic (the load fetches no static
        # files; a CDN or whitenoise serves them in production).
        STATIC_MANIFEST="false",
        MFA_REQUIRED="false",
        WEB_CONCURRENCY="2",  # per server: two servers share the two cores
        GUNICORN_THREADS="4",
    )


class Stopped(Exception):
    """The run is being torn down: no more faults."""


class Timeline:
    """The faults, at fixed fractions of the run; each one's window noted."""

    def __init__(self, seconds: int, stack: dict, lag_ms: int):
        self.seconds, self.stack, self.lag_ms = seconds, stack, lag_ms
        self.windows: list[dict] = []
        self.errors: list[str] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=150)  # a fault in progress: at most a start

    def at(self, fraction: float) -> None:
        """Wait for that point of the run; stop when the run is being torn down
        (a fault acted after the cleanup would start a server nobody stops)."""
        wait = self.started + fraction * self.seconds - time.monotonic()
        if self.stopping.wait(max(0.0, wait)):
            raise Stopped

    def window(self, name: str, action, *, until=None) -> None:
        began = time.time()
        action()
        entry = {"fault": name, "start": began, "acted": time.time()}
        if until is not None:
            until()
        entry["end"] = time.time()
        self.windows.append(entry)

    def run(self) -> None:
        self.started = time.monotonic()
        s, apps, replica = self.stack, self.stack["apps"], self.stack["replica"]
        try:
            self.at(0.12)
            self.window("replica lag on", lambda: replica.set_apply_delay(self.lag_ms))
            self.at(0.25)
            self.window("app server 2 killed", lambda: apps.kill(1))
            self.at(0.40)
            self.window("app server 2 started again", lambda: apps.start(1))
            self.at(0.50)
            self.window("replica lag off", lambda: replica.set_apply_delay(0))
            self.at(0.55)
            self.window("replica stopped", replica.stop)
            self.at(0.70)
            self.window("replica started again", replica.start)
            self.at(0.82)
            self.window("primary PgBouncer restarted", s["bouncer"].restart)
        except Stopped:
            pass
        except Exception as error:
            self.errors.append(f"{type(error).__name__}: {error}")


class Sampler:
    """Every half second: the replica's lag and the largest worker's memory."""

    def __init__(self, replica: Replica, apps: AppServers, dbname: str):
        self.replica, self.apps, self.dbname = replica, apps, dbname
        self.samples: list[dict] = []
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(0.5):
            self.samples.append(
                {
                    "t": time.time(),
                    "lag": checks.replica_lag(self.replica.port, self.dbname),
                    "rss_mb": self.apps.worker_rss_mb(),
                }
            )


def run_locust(host: str, args, ids_file: Path, work: Path) -> dict[str, Path]:
    files = {
        "prefix": work / "locust",
        "writes": work / "writes.json",
        "events": work / "events.json",
    }
    subprocess.run(
        [str(Path(sys.executable).parent / "locust"), "-f", "loadtest/locustfile.py",
         "--headless", "-u", str(args.clients), "-r", str(args.clients),
         "-t", f"{args.seconds}s", "--host", host, "--csv", str(files["prefix"]),
         "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING"],
        cwd=ROOT,
        check=False,
        env=os.environ
        | {
            "LOADTEST_IDS": str(ids_file),
            "LOADTEST_USERS": str(args.clients),
            "LOADTEST_LOGIN": loadtest.LOGIN,
            "LOADTEST_PASSWORD": loadtest.PASSWORD,
            "LOADTEST_WRITES": str(files["writes"]),
            "LOADTEST_EVENTS": str(files["events"]),
            "LOADTEST_INSECURE": "1",  # the proxy's throwaway certificate
            "LOADTEST_SPOOF_FORWARDED_FOR": SPOOFED,
            "PYTHONWARNINGS": "ignore:Unverified HTTPS request",
        },
    )  # fmt: skip
    return files


def remove(work: Path) -> None:
    """The scratch folder (its logs kept in LOGS); again if a server was still
    writing in it."""
    shutil.rmtree(LOGS, ignore_errors=True)
    LOGS.mkdir(parents=True)
    for log in [*work.glob("*.log"), *work.glob("*/*.log"), work / "replica" / "log"]:
        if log.is_file():
            shutil.copy(log, LOGS / f"{log.parent.name}-{log.name}")
    for _ in range(5):
        shutil.rmtree(work, ignore_errors=True)
        if not work.exists():
            return
        time.sleep(1)
    print(f"could not remove {work}", file=sys.stderr)


def step(text: str, began: float) -> None:
    print(f"[scaleout {time.time() - began:5.0f} s] {text}", flush=True)


def stop_on_signals() -> None:
    """SIGTERM (CI's timeout, kill) unwinds like Ctrl-C: the cleanup runs."""

    def unwind(signum, frame):
        # Once: a second signal must not cut the cleanup short.
        for name in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(name, signal.SIG_IGN)
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, unwind)
    signal.signal(signal.SIGHUP, unwind)
    signal.signal(signal.SIGINT, unwind)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="CI: ~1 minute of load")
    parser.add_argument("--users", type=int)
    parser.add_argument("--clients", type=int)
    parser.add_argument("--seconds", type=int)
    parser.add_argument("--lag-ms", type=int, default=1500)
    args = parser.parse_args()
    defaults = (5_000, 12, 60) if args.short else (100_000, 32, 300)
    args.users = args.users or defaults[0]
    args.clients = args.clients or defaults[1]
    args.seconds = args.seconds or defaults[2]
    if os.geteuid() != 0:
        raise SystemExit("make scaleout-test runs as root (packages, postgres user)")
    stop_on_signals()
    ensure_packages()
    admin_url = sandbox.postgres_url("make scaleout-test")
    url = sandbox.sibling_url(admin_url, "scaleout")
    dbname = urlsplit(url).path.strip("/")
    began = time.time()
    with ExitStack() as cleanup:
        work = Path(tempfile.mkdtemp(prefix="noogh-scaleout-"))
        os.chmod(work, 0o755)
        cleanup.callback(remove, work)
        ids_file = work / "ids.json"
        step(f"seeding {args.users:,} users in {dbname}", began)
        loadtest.prepare(url, args.users, ids_file, static=False)
        checks.create_lockout_probe(url, LOCKOUT_LOGIN)
        step("streaming replica (pg_basebackup)", began)
        # Through the run's own database: DATABASE_URL's need not exist.
        primary = PrimaryAccess(url, cleanup)
        primary.forget_leftovers()
        replica = Replica(primary, work, cleanup)
        replica.create(urlsplit(admin_url).port or 5432)
        step("PgBouncers, app servers, proxy", began)
        bouncer = Bouncer("primary", urlsplit(admin_url).port or 5432, work, cleanup)
        replica_bouncer = Bouncer(
            "replica", replica.port, work, cleanup, fail_fast=True
        )
        bouncer.start()
        replica_bouncer.start()
        apps = AppServers(app_env(url, bouncer, replica_bouncer), 2, work, cleanup)
        apps.start_all()
        proxy = Proxy(apps.ports, work, cleanup)
        proxy.start()
        host = f"https://127.0.0.1:{proxy.port}"
        stack = {"apps": apps, "replica": replica, "bouncer": bouncer}
        timeline = Timeline(args.seconds, stack, args.lag_ms)
        sampler = Sampler(replica, apps, dbname)
        replica_before = checks.replica_reads(replica.port, dbname)
        # Registered last, so stopped first: before any server goes away.
        cleanup.callback(timeline.stop)
        cleanup.callback(sampler.stopping.set)
        timeline.thread.start()
        threading.Thread(target=sampler.run, daemon=True).start()
        step(f"load: {args.clients} clients for {args.seconds} s", began)
        files = run_locust(host, args, ids_file, work)
        sampler.stopping.set()
        timeline.thread.join(timeout=60)
        step("checks", began)
        results = checks.collect(
            url=url,
            files=files,
            timeline=timeline,
            samples=sampler.samples,
            replica_reads=checks.replica_reads(replica.port, dbname) - replica_before,
            lockout=checks.lockout_through_proxy(host, url, LOCKOUT_LOGIN, SPOOFED),
            since=began,
        )
    results["setup"] = {
        "users": args.users, "clients": args.clients, "seconds": args.seconds,
        "lag_ms": args.lag_ms, "short": args.short, "cores": os.cpu_count(),
        "load_average": os.getloadavg(), "wall_seconds": round(time.time() - began),
    }  # fmt: skip
    stem = datetime.date.today().isoformat() + (
        "-scaleout-short" if args.short else "-scaleout"
    )
    out = ROOT / "loadtest" / "results" / stem
    out.with_suffix(".json").write_text(json.dumps(results, indent=1, default=str))
    text = checks.report(results)
    out.with_suffix(".md").write_text(text)
    print(text)
    print(f"written to {out.relative_to(ROOT)}.md and .json")
    if results["problems"]:
        raise SystemExit(
            "scale-out test failed:\n- " + "\n- ".join(results["problems"])
        )


if __name__ == "__main__":
    main()
