"""Kill import_users midway, rerun it, and compare with an uninterrupted run.

Needs DATABASE_URL=postgres://... ; uses two fresh sibling databases, dropped
afterwards. Prints the row counts and a checksum of every imported user for
both runs.
"""

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import AbstractContextManager
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a file, only loadtest/ would be importable
from scripts import sandbox  # noqa: E402

CHECKSUM = """
SELECT COUNT(*), md5(string_agg(
    concat_ws('|', username, email, full_name, is_active, created_at), ','
    ORDER BY username
)) FROM users_user
"""


def fresh_database(base: str, suffix: str) -> AbstractContextManager[str]:
    """<name>_<suffix>, new and migrated, for a with block that drops it."""
    url = sandbox.sibling_url(base, suffix)
    return sandbox.scratch_database(url, env(url))


def env(url: str) -> dict:
    return sandbox.environment(url, DEBUG="true")


def import_users(url: str, path: Path, kill_after: float | None = None) -> int:
    process = sandbox.start_manage(
        env(url),
        "import_users",
        str(path),
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
    base = sandbox.postgres_url("kill_import.py")
    with tempfile.TemporaryDirectory() as work:
        path = Path(work) / "users.csv"
        settings = {"DJANGO_SETTINGS_MODULE": "noogh_site.settings"}
        sandbox.write_users_csv(env(base) | settings, path, args.rows)
        with fresh_database(base, "killed") as killed:
            status = import_users(killed, path, kill_after=args.kill_after)
            after_kill = checksum(killed)
            import_users(killed, path)
            rerun = checksum(killed)
            import_users(killed, path)
            second_rerun = checksum(killed)
        with fresh_database(base, "clean") as clean:
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
