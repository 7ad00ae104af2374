"""Sibling databases and subprocess environments for bench/ and loadtest/.

The benchmark and load-test scripts run the project (manage.py, gunicorn, a
`python -c`) in child processes against PostgreSQL databases named after
DATABASE_URL's: <name>_small, <name>_load, and scratch ones that an import
fills from empty. This module is what they share: naming such a sibling,
creating and dropping it, and the environment and command lines of the
children that use it.

The scripts run as files (`python bench/run.py`), which puts their own folder
on sys.path rather than the repository: each adds the repository before
importing this module.
"""

import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
# The interpreter running the script: its virtualenv has Django, gunicorn, locust.
PYTHON = sys.executable


def postgres_url(command: str) -> str:
    """DATABASE_URL; exits when it is not PostgreSQL (COPY, VACUUM, siblings)."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        raise SystemExit(f"{command} needs DATABASE_URL=postgres://...")
    return url


def sibling_url(url: str, suffix: str) -> str:
    """The database <name>_<suffix> on url's server, reached as url is."""
    return _with_database(url, f"{_database_name(url)}_{suffix}")


def create_database(url: str, fresh: bool = False) -> None:
    """Create url's database when missing; with fresh, drop an old one first."""
    name = _database_name(url)
    with _server(url) as conn:
        if fresh:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
            )
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(url: str) -> None:
    # FORCE: a child killed on purpose (kill_import) may leave its server
    # backend alive for a moment, and a plain DROP refuses while it is.
    with _server(url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
                sql.Identifier(_database_name(url))
            )
        )


@contextmanager
def scratch_database(url: str, env: dict[str, str]) -> Iterator[str]:
    """A new, migrated database at url for the block, dropped afterwards.

    Dropped also when the block fails, so that no run leaves one behind; env is
    the environment that migrate runs with (the script's settings).
    """
    create_database(url, fresh=True)
    try:
        migrate(env)
        yield url
    finally:
        drop_database(url)


def environment(url: str, **overrides: str) -> dict[str, str]:
    """This process's environment, for a child working on url's database.

    PYTHONPATH lets any child (`python -c`, bench/measure.py) import the
    project, not only manage.py, whose folder Python puts on sys.path itself.
    """
    return os.environ | {"DATABASE_URL": url, "PYTHONPATH": str(ROOT)} | overrides


def manage(env: dict[str, str], *args: str, quiet: bool = False) -> None:
    """Run a manage.py command to the end; raise if it fails.

    quiet swallows its output (chatty commands such as seed_users).
    """
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=quiet,
        text=True,
    )


def migrate(env: dict[str, str], quiet: bool = False) -> None:
    manage(env, "migrate", "--noinput", "-v0", quiet=quiet)


def start_manage(env: dict[str, str], *args: str, **popen) -> subprocess.Popen:
    """Start a manage.py command that the caller waits for, times or kills."""
    return subprocess.Popen([PYTHON, "manage.py", *args], cwd=ROOT, env=env, **popen)


def write_users_csv(
    env: dict[str, str], path: Path, rows: int, prefix: str = "imp"
) -> None:
    """Write bench/make_csv.py's deterministic CSV of rows users to path.

    In a child: make_csv needs Django set up, with env's settings, and the
    scripts themselves never set Django up.
    """
    code = (
        "import django; django.setup(); from bench.make_csv import write_csv; "
        f"write_csv({str(path)!r}, {rows}, prefix={prefix!r})"
    )
    subprocess.run([PYTHON, "-c", code], cwd=ROOT, env=env, check=True)


def _database_name(url: str) -> str:
    return urlsplit(url).path.strip("/")


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _server(url: str) -> psycopg.Connection:
    # CREATE and DROP DATABASE run outside a transaction and from another
    # database than the one concerned: the server's maintenance database.
    return psycopg.connect(_with_database(url, "postgres"), autocommit=True)
