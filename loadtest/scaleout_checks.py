"""What `make scaleout-test` checks after the load, and its report.

- Every write the server confirmed is in the primary, and in the trail.
- No page read after a write showed the value from before it (the locust
  clients read back after each write; X-Upstream says which server answered).
- The trail and the lockouts hold the client's address (127.0.0.1), never the
  proxy's (127.0.0.3) nor what the client put in X-Forwarded-For.
- Failed requests happened only inside a fault's window: each failure is
  attributed to the fault whose window holds it, or counted as unexplained.
"""

import json
import re
import statistics
import time
from pathlib import Path

import psycopg
import requests
import urllib3

from loadtest import run as loadtest
from noogh_site.replica_health import LAG_SQL
from scripts import sandbox

CLIENT_ADDRESS, PROXY_ADDRESS = "127.0.0.1", "127.0.0.3"
# How long after a fault's action failures are still its own: the app's
# replica probe interval + its timeout + a request's length, or nginx's
# fail_timeout for a dead app server.
GRACE = {
    "app server 2 killed": 5.0,
    "replica stopped": 4.0,
    "primary PgBouncer restarted": 3.0,
}
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def create_lockout_probe(url: str, login: str) -> None:
    script = (
        "from users import services; from users.models import User\n"
        f"u = User.objects.get_by_username({login!r}) or services.user_create("
        f"username={login!r}, email='lockout-probe@example.org')\n"
        "services.user_set_password(user=u, password='right-Passw0rd-42')\n"
        # Earlier runs' failures would lock it out from the first try.
        "from axes.models import AccessAttempt; AccessAttempt.objects.all().delete()\n"
    )
    sandbox.manage(loadtest.env_for(url), "shell", "-c", script, quiet=True)


def replica_lag(port: int, dbname: str) -> float | None:
    """The replica's replay lag as the app's probe sees it (None: no answer)."""
    try:
        with psycopg.connect(
            host="127.0.0.1", port=port, user="postgres", dbname="postgres",
            connect_timeout=1,
        ) as conn:  # fmt: skip
            lag = conn.execute(LAG_SQL).fetchone()[0]
            return None if lag is None else float(lag)
    except psycopg.Error:
        return None


def replica_reads(port: int, dbname: str) -> int:
    """Transactions the replica has served in the app's database."""
    for _ in range(50):
        try:
            with psycopg.connect(
                host="127.0.0.1", port=port, user="postgres", dbname="postgres"
            ) as conn:
                return conn.execute(
                    "SELECT xact_commit FROM pg_stat_database WHERE datname = %s",
                    [dbname],
                ).fetchone()[0]
        except psycopg.Error:
            time.sleep(0.2)
    return 0


def lockout_through_proxy(host: str, url: str, login: str, spoofed: str) -> dict:
    """Wrong passwords for one account through the proxy, each claiming another
    address in X-Forwarded-For: the lockout must come anyway, keyed on the
    real client address."""
    urllib3.disable_warnings()
    session = requests.Session()
    # Per request: REQUESTS_CA_BUNDLE in the environment beats session.verify.
    insecure = {"verify": False, "timeout": 10}
    statuses = []
    for attempt in range(8):
        page = session.get(f"{host}/accounts/login/", **insecure)
        answer = session.post(
            f"{host}/accounts/login/",
            {"username": login, "password": f"wrong-{attempt}",
             "csrfmiddlewaretoken": TOKEN.search(page.text).group(1)},
            headers={"X-Forwarded-For": f"203.0.113.{attempt + 1}, {spoofed}",
                     "Referer": f"{host}/accounts/login/"},
            **insecure,
        )  # fmt: skip
        statuses.append(answer.status_code)
    with psycopg.connect(url) as conn:
        addresses = [
            r[0]
            for r in conn.execute(
                "SELECT DISTINCT host(ip_address) FROM axes_accessattempt"
            ).fetchall()
        ]
    return {"statuses": statuses, "addresses": addresses}


def collect(*, url, files, timeline, samples, replica_reads, lockout, since) -> dict:
    stats = loadtest.read_stats(str(files["prefix"]))
    writes = loadtest.verify(url, files["writes"])
    events = json.loads(Path(files["events"]).read_text())
    confirmed = json.loads(Path(files["writes"]).read_text())
    with psycopg.connect(url) as conn:
        toggles = conn.execute(
            "SELECT count(*) FROM users_auditevent WHERE action IN"
            " ('activate', 'deactivate') AND actor_label = %s"
            " AND at >= to_timestamp(%s)",
            [loadtest.LOGIN, since],
        ).fetchone()[0]
        trail_ips = dict(
            conn.execute(
                "SELECT coalesce(host(ip), 'none'), count(*) FROM users_auditevent"
                " WHERE actor_label = %s AND at >= to_timestamp(%s) GROUP BY 1",
                [loadtest.LOGIN, since],
            ).fetchall()
        )
    results = {
        "endpoints": stats,
        "writes": writes,
        "toggles": {
            "confirmed": sum(1 for w in confirmed if "full_name" not in w),
            "in_trail": toggles,
        },
        "trail_addresses": trail_ips,
        "lockout": lockout,
        "faults": timeline.windows,
        "fault_errors": timeline.errors,
        "replica_reads": replica_reads,
    }
    results |= _failures(events, timeline.windows)
    results |= _read_backs(events)
    results |= _samples(samples, timeline.windows)
    results["problems"] = _problems(results)
    return results


def _failures(events: list[dict], windows: list[dict]) -> dict:
    """Failures by window and cause, and how long after each fault's start
    its failures came (the window it actually cost)."""
    by_cause: dict[str, dict[str, int]] = {}
    spans: dict[str, list[float]] = {}
    for event in (e for e in events if "failure" in e):
        where, after = "outside any fault window", None
        for window in windows:
            grace = GRACE.get(window["fault"])
            if grace and window["start"] <= event["t"] <= window["end"] + grace:
                where, after = window["fault"], event["t"] - window["start"]
        key = f"{event['failure']} on {event['name']}"
        by_cause.setdefault(where, {})
        by_cause[where][key] = by_cause[where].get(key, 0) + 1
        if after is not None:
            spans.setdefault(where, []).append(after)
    return {
        "failures": by_cause,
        "failure_spans_s": {
            w: [round(min(t), 2), round(max(t), 2)] for w, t in spans.items()
        },
    }


def _read_backs(events: list[dict]) -> dict:
    checks = [e for e in events if "check" in e]
    return {
        "read_after_write": {
            "checks": len(checks),
            "on_the_other_server": sum(1 for e in checks if e["crossed"]),
            "stale": sum(1 for e in checks if e["status"] == 200 and not e["fresh"]),
        }
    }


def _samples(samples: list[dict], windows: list[dict]) -> dict:
    lags = [s["lag"] for s in samples if s["lag"] is not None]
    on = next((w["acted"] for w in windows if w["fault"] == "replica lag on"), None)
    off = next((w["acted"] for w in windows if w["fault"] == "replica lag off"), None)
    lagging = [
        s["lag"] for s in samples if on and off and on <= s["t"] <= off and s["lag"]
    ]
    return {
        "replica_lag": {
            "max_s": round(max(lags), 2) if lags else None,
            "median_while_delayed_s": round(statistics.median(lagging), 2)
            if lagging
            else None,
            "samples": len(samples),
            "unanswered_samples": sum(1 for s in samples if s["lag"] is None),
        },
        "worker_rss_max_mb": round(max((s["rss_mb"] for s in samples), default=0), 1),
    }


def _problems(r: dict) -> list[str]:
    problems = list(r["fault_errors"])
    w = r["writes"]
    if w["mismatch_count"]:
        problems.append(f"{w['mismatch_count']} confirmed writes not in the primary")
    if w["edits_audited"] < w["edits"]:
        problems.append(f"edits in the trail: {w['edits_audited']}/{w['edits']}")
    if r["toggles"]["in_trail"] < r["toggles"]["confirmed"]:
        problems.append(f"(de)activations in the trail: {r['toggles']}")
    if r["read_after_write"]["stale"]:
        problems.append(f"stale reads after a write: {r['read_after_write']}")
    if set(r["trail_addresses"]) != {CLIENT_ADDRESS}:
        problems.append(f"trail addresses: {r['trail_addresses']}")
    if (
        r["lockout"]["addresses"] != [CLIENT_ADDRESS]
        or 429 not in r["lockout"]["statuses"][:6]
    ):
        problems.append(f"lockout through the proxy: {r['lockout']}")
    if r["failures"].get("outside any fault window"):
        problems.append(
            f"unexplained failures: {r['failures']['outside any fault window']}"
        )
    if not r["replica_reads"]:
        problems.append("the replica served no reads")
    return problems


def report(r: dict) -> str:
    s = r["setup"]
    lines = [
        f"# noogh scale-out test{' (short)' if s['short'] else ''}, "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        "",
        f"{s['cores']} cores shared with other work (load average at the end "
        f"{', '.join(f'{x:.2f}' for x in s['load_average'])}); {s['users']:,} users; "
        f"locust: {s['clients']} staff clients for {s['seconds']} s through nginx "
        "(TLS) → 2 gunicorn servers (2 workers × 4 threads each) → PgBouncer "
        "(transaction mode) → PostgreSQL 15 primary, and a streaming replica behind "
        f"its own PgBouncer; replica apply delay {s['lag_ms']} ms for part of the "
        f"run. Wall time {s['wall_seconds']} s.",
        "",
        "| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in r["endpoints"]:
        lines.append(
            f"| {row['Name']} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.1f} | "
            f"{row['50%']} | {row['95%']} | {row['99%']} |"
        )
    lines += ["", "Faults (seconds from the run's first fault):", ""]
    first = r["faults"][0]["start"] if r["faults"] else 0
    for f in r["faults"]:
        took = f["end"] - f["start"]
        lines.append(
            f"- {f['fault']}: at {f['start'] - first:.1f} s, took {took:.1f} s"
        )
    lines += ["", "Failed requests by cause:", ""]
    for where, causes in (r["failures"] or {"(none)": {}}).items():
        text = "; ".join(f"{c}: {n}" for c, n in causes.items()) or "none"
        span = r["failure_spans_s"].get(where)
        if span:
            text += f" (from +{span[0]} s to +{span[1]} s after the fault began)"
        lines.append(f"- {where}: {text}")
    rw, lag, w = r["read_after_write"], r["replica_lag"], r["writes"]
    as_written = w["users_written"] - w["mismatch_count"]
    lines += [
        "",
        f"Read after write: {rw['checks']} checks, {rw['on_the_other_server']} "
        f"answered by the other app server, {rw['stale']} stale.",
        f"Replica lag seen: max {lag['max_s']} s, median "
        f"{lag['median_while_delayed_s']} s while delayed; "
        f"{lag['unanswered_samples']}/{lag['samples']} samples without an answer "
        f"(replica stopped). Transactions served by the replica: "
        f"{r['replica_reads']}.",
        f"Writes confirmed: {w['writes']} on {w['users_written']} users, "
        f"{as_written}/{w['users_written']} as written in the primary; edits in "
        f"the trail {w['edits_audited']}/{w['edits']}, (de)activations "
        f"{r['toggles']['in_trail']} for {r['toggles']['confirmed']} confirmed.",
        f"Trail addresses: {r['trail_addresses']}; lockout probe statuses "
        f"{r['lockout']['statuses']}, addresses counted {r['lockout']['addresses']}.",
        f"Largest gunicorn worker: {r['worker_rss_max_mb']} MB resident.",
        "",
        "Result: "
        + ("PASS" if not r["problems"] else "FAIL: " + "; ".join(r["problems"])),
    ]
    return "\n".join(lines) + "\n"
