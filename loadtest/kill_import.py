"""Kill import_users midway, rerun it, and compare with an uninterrupted run.

Needs DATABASE_URL=postgres://... ; uses two fresh sibling databases. Prints
the row counts and a checksum of every imported user for both runs.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
CHECKSUM = """
SELECT COUNT(*), md5(string_agg(
    concat_ws('|', username, email, full_name, is_active, created_at), ','
    ORDER BY username
)) FROM users_user
"""


def fresh_database(base: str, suffix: str) -> str:
    parts = urlsplit(base)
    name = f"{parts.path.strip('/')}_{suffix}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlunsplit(parts._replace(path=f"/{name}"))
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v0"],
        cwd=ROOT,
        env=env(url),
        check=True,
    )
    return url


def env(url: str) -> dict:
    return os.environ | {"DATABASE_URL": url, "DEBUG": "true", "PYTHONPATH": str(ROOT)}


def import_users(url: str, path: Path, kill_after: float | None = None) -> int:
    process = subprocess.Popen(
        [sys.executable, "manage.py", "import_users", str(path)],
        cwd=ROOT,
        env=env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    if kill_after is not None:
        time.sleep(kill_after)
        process.send_signal(signal.SIGKILL)
    return process.wait()


def checksum(url: str) -> tuple[int, str]:
    with psycopg.connect(url) as conn:
        return conn.execute(CHECKSUM).fetchone()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=300_000)
    parser.add_argument("--kill-after", type=float, default=3.0)
    args = parser.parse_args()
    base = os.environ["DATABASE_URL"]
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "users.csv"
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import django; django.setup(); from bench.make_csv "
                f"import write_csv; write_csv({str(path)!r}, {args.rows})",
            ],
            cwd=ROOT,
            env=env(base) | {"DJANGO_SETTINGS_MODULE": "noogh_site.settings"},
            check=True,
        )
        killed = fresh_database(base, "killed")
        status = import_users(killed, path, kill_after=args.kill_after)
        after_kill = checksum(killed)
        import_users(killed, path)
        rerun = checksum(killed)
        import_users(killed, path)
        second_rerun = checksum(killed)
        clean = fresh_database(base, "clean")
        import_users(clean, path)
        reference = checksum(clean)
    print(f"killed after {args.kill_after} s (exit {status}): {after_kill[0]:,} users")
    print(f"rerun:        {rerun[0]:,} users, checksum {rerun[1]}")
    print(f"rerun again:  {second_rerun[0]:,} users, checksum {second_rerun[1]}")
    print(f"uninterrupted:{reference[0]:,} users, checksum {reference[1]}")
    same = after_kill[0] == 0 and rerun == reference == second_rerun
    print("final state equals an uninterrupted run" if same else "MISMATCH")
    raise SystemExit(0 if same else 1)


if __name__ == "__main__":
    main()
