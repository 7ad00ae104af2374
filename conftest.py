"""Project-wide pytest setup.

With NOOGH_FORBID_SKIPS=1 (CI's PostgreSQL run) a skipped test fails the run:
PostgreSQL-only and browser tests must really run there.
"""

import os

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashers take ~100 ms per password by design; tests hash hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if os.environ.get("NOOGH_FORBID_SKIPS") != "1":
        return
    skipped = terminalreporter.stats.get("skipped", [])
    if skipped:
        terminalreporter.write_line(
            f"NOOGH_FORBID_SKIPS=1: {len(skipped)} test(s) skipped; failing the run.",
            red=True,
        )


def pytest_sessionfinish(session, exitstatus):
    if os.environ.get("NOOGH_FORBID_SKIPS") == "1" and _skipped(session):
        session.exitstatus = 1


def _skipped(session) -> bool:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    return bool(reporter and reporter.stats.get("skipped"))
