"""The import scenarios of `make bench` (issue 16), against their targets.

- a first load: N rows (default 1M) into an empty users table, in a scratch
  sibling database <name>_import (dropped afterwards), target 50,000 rows/s;
- N/10 rows into the benchmark's big table (--users accounts), target 30,000
  rows/s; the imported rows are deleted afterwards.

Each is `manage.py import_users -v 2` in a child process, end to end (reading,
checks, merge, audit trail, indexes, commit), timed with its peak RSS, the
phases it reports and the load average around it (the machine is shared).
Run on its own: DATABASE_URL=postgres://... python bench/imports.py; it seeds
the big table when it does not hold --users accounts.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file, only bench/ would be importable
from scripts import sandbox  # noqa: E402

FIRST_LOAD_TARGET = 50_000  # rows/s, 1M rows into an empty table
INTO_BIG_TARGET = 30_000  # rows/s, 100k rows into a 1M-user table
PHASES = re.compile(r"^Phases: (.*)$", re.MULTILINE)


def environment(url: str) -> dict:
    return sandbox.environment(
        url,
        DJANGO_SETTINGS_MODULE="noogh_site.settings",
        PYTHONWARNINGS="ignore",
        # As bench/run.py's children: the bench runs without a deployment's key.
        SECRET_KEY=os.environ.get("SECRET_KEY", "benchmark-only-secret"),
    )


def time_import(url: str, csv_path: Path, rows: int) -> dict:
    """import_users on csv_path: wall time, the child's peak RSS, its phases."""
    print(f"importing {rows:,} rows ({csv_path.name}) ...", file=sys.stderr, flush=True)
    load_before = os.getloadavg()
    started = time.monotonic()
    process = sandbox.start_manage(
        environment(url),
        "import_users",
        str(csv_path),
        "-v",
        "2",
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,  # progress lines
        text=True,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    if status != 0:
        raise SystemExit(f"import_users failed: {output}")
    phases = PHASES.search(output)
    return {
        "rows": rows,
        "seconds": seconds,
        "rows_per_s": rows / seconds,
        "peak_rss_mb": usage.ru_maxrss / 1024,
        # The command's own CPU (reading and checking the rows, in Python).
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "phases": phases.group(1) if phases else "",
        "load": (load_before[0], os.getloadavg()[0]),
    }


def reader_alone(env: dict, csv_path: Path) -> float:
    """CPU seconds of reading and checking csv_path with nothing written: what
    one core can feed the database (a child, like the command)."""
    code = (
        "import time, django; django.setup(); from pathlib import Path; "
        "from users.imports import UserCsvReader; "
        f"reader = UserCsvReader(Path({str(csv_path)!r}), lambda rejection: None); "
        "started = time.process_time(); rows = sum(1 for _ in reader.rows()); "
        "print(time.process_time() - started)"
    )
    done = subprocess.run(
        [sandbox.PYTHON, "-c", code],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return float(done.stdout.split()[-1])


def copy_alone(url: str, workdir: Path) -> float:
    """Seconds the database takes to COPY the loaded rows, already checked,
    into a staging table: its side of "read + stage", without Python."""
    import psycopg

    dump = workdir / "staged.copy"
    columns = (
        "username, email, full_name, is_active, is_staff, is_superuser, "
        "created_at, password, last_login"
    )
    with psycopg.connect(url) as conn:
        select = f"SELECT id::int AS line, {columns} FROM users_user"
        with conn.cursor() as cursor, open(dump, "wb") as out:
            with cursor.copy(f"COPY ({select} ORDER BY id) TO STDOUT") as copy:
                for data in copy:
                    out.write(data)
            cursor.execute(f"CREATE TEMPORARY TABLE users_staging AS {select} LIMIT 0")
            started = time.monotonic()
            with (
                open(dump, "rb") as source,
                cursor.copy("COPY users_staging FROM STDIN") as copy,
            ):
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
            seconds = time.monotonic() - started
    dump.unlink()
    return seconds


def seed(url: str, users: int) -> None:
    """The big table holds exactly `users` seeded accounts (seed 1)."""
    import psycopg

    with psycopg.connect(url) as conn:
        count = conn.execute("SELECT COUNT(*) FROM users_user").fetchone()[0]
    if count == users:
        return
    print(f"seeding {users:,} users ...", file=sys.stderr, flush=True)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("TRUNCATE users_user CASCADE")
    sandbox.manage(
        environment(url), "seed_users", "--count", str(users), "--seed", "1", quiet=True
    )


def remove_imported(url: str, prefix: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM users_user WHERE username LIKE %s", [f"{prefix}.%"])
        conn.execute("VACUUM ANALYZE users_user")
        conn.execute("VACUUM ANALYZE users_usersearch")


def run(big_url: str, import_url: str, rows: int, users: int) -> list[dict]:
    """Both scenarios; the big table must already hold `users` accounts."""
    runs = []
    with (
        tempfile.TemporaryDirectory() as workdir,
        # Kept until both imports are timed, so that dropping it (a
        # checkpoint) does not land in the second.
        sandbox.scratch_database(import_url, environment(import_url)),
    ):
        first = Path(workdir) / "first.csv"
        sandbox.write_users_csv(environment(big_url), first, rows, prefix="first")
        runs.append(
            time_import(import_url, first, rows)
            | {"case": "first load into an empty table", "target": FIRST_LOAD_TARGET}
        )
        runs[-1]["bounds"] = {
            "reader_cpu_s": reader_alone(environment(big_url), first),
            "copy_s": copy_alone(import_url, Path(workdir)),
        }
        extra = max(rows // 10, 1)
        more = Path(workdir) / "more.csv"
        sandbox.write_users_csv(environment(big_url), more, extra, prefix="more")
        try:
            runs.append(
                time_import(big_url, more, extra)
                | {"case": f"into the {users:,}-user table", "target": INTO_BIG_TARGET}
            )
        finally:
            remove_imported(big_url, "more")
    return runs


def report(runs: list[dict]) -> list[str]:
    """The import table of the benchmark's report, in markdown lines."""
    lines = [
        "",
        "Import (`manage.py import_users`, end to end: reading, checks, merge, "
        "audit trail, indexes, commit). Load average (1 min) before → after; "
        "the machine is shared:",
        "",
        "| case | rows | seconds | rows/s | target | | peak RSS | command CPU | load "
        "| phases |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        verdict = "pass" if run["rows_per_s"] >= run["target"] else "**MISSED**"
        lines.append(
            f"| {run['case']} | {run['rows']:,} | {run['seconds']:.1f} | "
            f"{run['rows_per_s']:,.0f} | {run['target']:,} | {verdict} | "
            f"{run['peak_rss_mb']:.0f} MB | {run['cpu_s']:.1f} s | "
            f"{run['load'][0]:.1f} → "
            f"{run['load'][1]:.1f} | {run['phases']} |"
        )
    return lines + [line for run in runs if "bounds" in run for line in bounds(run)]


def bounds(run: dict) -> list[str]:
    """What bounds a first load: the reader's one core, the database's COPY,
    and the steps the database then runs alone, one after another, in the
    import's one transaction (no other session sees its rows)."""
    rows, found = run["rows"], run["bounds"]
    steps = {
        name.strip(): float(seconds)
        for name, seconds in re.findall(r"([a-z +()]+?) ([\d.]+) s", run["phases"])
    }
    after = sum(took for name, took in steps.items() if name != "read + stage")
    return [
        "",
        f"Bounds of the first load ({rows:,} rows): the reader alone (one core, "
        f"nothing written) {found['reader_cpu_s']:.1f} s CPU = "
        f"{rows / found['reader_cpu_s']:,.0f} rows/s; COPY alone of the checked "
        f"rows {found['copy_s']:.1f} s = {rows / found['copy_s']:,.0f} rows/s; "
        f"after reading, the database works alone for {after:.1f} s "
        "(the phases after read + stage).",
    ]


def missed(runs: list[dict]) -> list[str]:
    """The scenarios below their target, for a loud failure."""
    return [
        f"import {run['case']}: {run['rows_per_s']:,.0f} rows/s, "
        f"target {run['target']:,}"
        for run in runs
        if run["rows_per_s"] < run["target"]
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=1_000_000)
    args = parser.parse_args()
    big_url = sandbox.postgres_url("bench/imports.py")
    sandbox.create_database(big_url)
    sandbox.migrate(environment(big_url), quiet=True)
    seed(big_url, args.users)
    runs = run(big_url, sandbox.sibling_url(big_url, "import"), args.rows, args.users)
    print("\n".join(report(runs)))
    if failures := missed(runs):
        print("\n".join(["", "TARGET MISSED:", *failures]), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
