"""gunicorn.conf.py: a second server on a taken port stops at once, loudly."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve(port: int) -> subprocess.Popen:
    environment = os.environ | {
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "1",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its workers go with it in stop()
    )


def listening(port: int) -> bool:
    with socket.socket() as client:
        return client.connect_ex(("127.0.0.1", port)) == 0


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
    server.communicate()


@pytest.fixture
def first_server():
    port = free_port()
    server = serve(port)
    try:
        deadline = time.monotonic() + 20
        while not listening(port):
            assert server.poll() is None, server.communicate()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        yield port
    finally:
        stop(server)


@pytest.mark.slow
def test_a_second_server_on_a_taken_port_fails_fast_with_a_message(first_server):
    started = time.monotonic()
    second = serve(first_server)
    try:
        _, errors = second.communicate(timeout=10)
    finally:
        stop(second)
    assert second.returncode != 0
    assert time.monotonic() - started < 4  # gunicorn alone retries for 5 s
    assert f"cannot listen on 127.0.0.1:{first_server}" in errors
    assert "another server is already listening there" in errors
    assert listening(first_server)  # the first one is untouched
