import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_check(*command: str, **env_overrides: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DEBUG")}
    env |= env_overrides
    return subprocess.run(
        [sys.executable, "manage.py", *(command or ["check"])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"DATABASE_URL": "mongodb://localhost/x", "DEBUG": "true"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url at all", "DEBUG": "true"}, "DATABASE_URL"),
        ({"SECRET_KEY": "", "DEBUG": "false"}, "SECRET_KEY must be set"),
        ({"DEBUG": "perhaps"}, "DEBUG must be true or false"),
        ({"DEBUG": "true", "TIME_ZONE": "Mars/Olympus"}, "TIME_ZONE"),
        ({"DEBUG": "true", "LOGIN_HASH_CONCURRENCY": "0"}, "LOGIN_HASH_CONCURRENCY"),
        ({"DEBUG": "true", "LOGIN_HASH_CONCURRENCY": "two"}, "LOGIN_HASH_CONCURRENCY"),
        ({"DEBUG": "true", "DORMANT_AFTER_DAYS": "ninety"}, "whole days"),
        ({"DEBUG": "true", "DORMANT_AFTER_DAYS": "-1"}, "DORMANT_WARN_DAYS must be"),
        (
            {"DEBUG": "true", "DORMANT_AFTER_DAYS": "30", "DORMANT_WARN_DAYS": "30"},
            "DORMANT_WARN_DAYS must be less than DORMANT_AFTER_DAYS",
        ),
        ({"DEBUG": "true", "REPLICA_MAX_LAG_SECONDS": "5"}, "REPLICA_PIN_SECONDS"),
        ({"DEBUG": "true", "REPLICA_CHECK_SECONDS": "soon"}, "REPLICA_"),
        ({"DEBUG": "true", "DISABLE_SERVER_SIDE_CURSORS": "maybe"}, "DISABLE_SERVER"),
    ],
)
def test_broken_environment_stops_with_one_clear_line(overrides, message):
    result = run_check(**overrides)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("noogh: configuration error:")
    assert message in lines[0]


@pytest.mark.slow
def test_good_environment_passes_the_system_check():
    result = run_check(SECRET_KEY="x" * 50, DEBUG="false")
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_schema_commands_need_no_secret_key():
    """A fresh clone checks its migrations with no environment at all."""
    result = run_check("makemigrations", "--check", "--dry-run", SECRET_KEY="")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


def readme_data_commands() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Data commands", 1)[1]
    block = section.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


@pytest.mark.slow
def test_the_readmes_data_commands_run_as_written(tmp_path):
    """No DEBUG, no SECRET_KEY: what a newcomer copies from the README works."""
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "manage.py").symlink_to(ROOT / "manage.py")
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    commands = readme_data_commands()
    assert any("import_users users.csv" in line for line in commands)
    # changepassword asks for the password on a terminal; the rest runs here.
    for line in [".venv/bin/python manage.py migrate --noinput", *commands]:
        if "changepassword" in line:
            continue
        result = subprocess.run(
            ["bash", "-c", line],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, (line, result.stdout, result.stderr)


def test_other_commands_still_need_a_secret_key():
    result = run_check("shell", "-c", "print(1)", SECRET_KEY="", DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
