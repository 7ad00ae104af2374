"""With DEBUG off, a server error reaches stderr: one JSON line, traceback included."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .test_security_hardening import production_environment

ROOT = Path(__file__).resolve().parents[2]
# A view that fails, requested the way a browser would, in a process with the
# production settings; no database is touched.
FAILING_REQUEST = """
import noogh_site.health
def broken(request):
    raise RuntimeError("the probe broke")
noogh_site.health.healthz = broken
from django.test import Client
response = Client(raise_request_exception=False).get("/healthz?email=ada@example.com")
print("status", response.status_code)
"""


@pytest.mark.slow
def test_a_server_error_is_one_json_line_on_stderr_with_its_traceback():
    environment = production_environment() | {"HTTPS": "false"}
    environment["ALLOWED_HOSTS"] = "testserver"
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", FAILING_REQUEST],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "status 500" in result.stdout, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("{")]
    assert len(lines) == 1, result.stderr
    logged = json.loads(lines[0])
    assert logged["level"] == "ERROR"
    assert logged["logger"] == "django.request"
    assert logged["status"] == 500
    assert (logged["method"], logged["path"]) == ("GET", "/healthz")
    assert "Traceback" in logged["exception"]
    assert "RuntimeError: the probe broke" in logged["exception"]
    assert "ada@example.com" not in result.stderr  # no query string
