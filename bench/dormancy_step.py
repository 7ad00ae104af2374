"""`make bench`'s dormant-account step (bench/run.py): bench/dormancy.py on a
scratch copy of the big database, and its lines of the report."""

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from scripts import sandbox

ROOT = Path(__file__).resolve().parent.parent


def time_dormancy(big_url: str, environment) -> dict:
    """bench/dormancy.py on a copy of the big database: its run deactivates
    ~10% of the users, which the other scenarios must not see."""
    import psycopg
    from psycopg import sql

    copy_url = sandbox.sibling_url(big_url, "dormancy")
    sandbox.drop_database(copy_url)
    names = [urlsplit(url).path.strip("/") for url in (copy_url, big_url)]
    server = urlunsplit(urlsplit(big_url)._replace(path="/postgres"))
    print("timing the dormant-account policy ...", file=sys.stderr, flush=True)
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(
            # FILE_COPY (PostgreSQL 15+): the files copied and checkpointed,
            # not 1.5 GB of WAL still being written out during the timed run.
            sql.SQL("CREATE DATABASE {} TEMPLATE {} STRATEGY FILE_COPY").format(
                *(sql.Identifier(name) for name in names)
            )
        )
    try:
        output = subprocess.run(
            [sandbox.PYTHON, "bench/dormancy.py"],
            cwd=ROOT,
            env=environment(copy_url),
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        sandbox.drop_database(copy_url)
    return json.loads(output.strip().splitlines()[-1])


def dormancy_report(result: dict | None) -> list[str]:
    if not result:
        return []
    verdict = {True: "pass", False: "FAIL"}
    return [
        "",
        f"Dormant-account policy: no login for {result['dormant_days']} days "
        f"leaves {result['would_deactivate']:,} of {result['users']:,} users "
        f"dormant; the run recorded {result['deactivated_events']:,} audit events. "
        f"Peak memory of the run {result['run_peak_rss_mb']:.0f} MB, of a run "
        f"with nothing to do {result['idle_run_peak_rss_mb']:.0f} MB.",
        "",
        "| step | seconds | target | result |",
        "|---|---|---|---|",
        f"| preview page (count + sample), p50 | {result['preview_s_p50']:.2f} "
        f"| <= 2 | {verdict[result['preview_pass']]} |",
        f"| preview CSV (every account) | {result['csv_s']:.2f} | – | – |",
        f"| `manage.py lifecycle` (deactivate + audit rows) | {result['run_s']:.2f} "
        f"| <= 30 | {verdict[result['run_pass']]} |",
    ]
