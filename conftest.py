"""Project-wide pytest setup.

With NOOGH_FORBID_SKIPS=1 (CI's PostgreSQL run) a skipped test fails the run:
PostgreSQL-only and browser tests must really run there. NOOGH_FULL_CORPUS=1
(also CI's PostgreSQL run) sends the whole hostile-input corpus to every field
instead of a fixed sample (users/tests/test_hostile_input.py).
"""

import os

import pytest


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Real hashers take ~100 ms per password by design; tests hash hundreds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_report_header(config):
    if os.environ.get("NOOGH_FULL_CORPUS") == "1":
        return "hostile-input corpus: every value (NOOGH_FULL_CORPUS=1)"
    return "hostile-input corpus: a fixed sample per field (NOOGH_FULL_CORPUS=1: all)"


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
