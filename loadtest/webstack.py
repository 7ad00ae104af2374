"""The web half of `make scaleout-test`: N gunicorn app servers (gunicorn.conf.py,
as `make serve` runs them) behind nginx, which terminates TLS and tells the
app the client's address and scheme the way a production proxy does:
X-Forwarded-For with the address it received the request from appended
(TRUSTED_PROXY_COUNT=1), X-Forwarded-Proto https (TRUST_X_FORWARDED_PROTO).

nginx reaches the app servers from 127.0.0.3, so the app sees the proxy's
address in REMOTE_ADDR and the client's (127.0.0.1) only through the header:
the run checks that lockouts and the trail record the client, not the proxy.
It adds X-Upstream (the app server that answered) to every response, so the
load can tell reads that crossed servers after a write.
"""

import os
import shutil
import signal
import subprocess
import sys
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from .pgstack import _listening, free_port, wait_for

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROXY_SOURCE = "127.0.0.3"
PACKAGES = {"pgbouncer": "pgbouncer", "nginx": "nginx", "openssl": "openssl"}


def ensure_packages() -> None:
    """apt-get install what is missing, without starting its services."""
    missing = [pkg for cmd, pkg in PACKAGES.items() if not shutil.which(cmd)]
    if not missing:
        return
    policy = Path("/usr/sbin/policy-rc.d")
    ours = not policy.exists()
    if ours:  # Debian's way to say "install, but start no daemon"
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    try:
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing],
            check=True,
            env=env,
        )
    finally:
        if ours:
            policy.unlink()


class AppServers:
    def __init__(self, env: dict, count: int, work: Path, cleanup: ExitStack):
        self.env, self.work = env, work
        self.ports = [free_port() for _ in range(count)]
        self.processes: list[subprocess.Popen | None] = [None] * count
        cleanup.callback(self.stop_all)

    def start(self, index: int) -> None:
        log = open(self.work / f"gunicorn-{index}.log", "ab")  # noqa: SIM115
        self.processes[index] = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "--access-logfile",
             "/dev/null"],
            cwd=ROOT,
            env=self.env | {"BIND": f"127.0.0.1:{self.ports[index]}"},
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own group: killed with its workers
        )  # fmt: skip
        port = self.ports[index]
        wait_for(lambda: _ready(f"http://127.0.0.1:{port}/readyz"), "gunicorn")

    def start_all(self) -> None:
        for index in range(len(self.ports)):
            self.start(index)

    def kill(self, index: int) -> None:
        """As a machine that dies: the master and its workers, at once."""
        process = self.processes[index]
        if process and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.processes:
            if process and process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=8)  # the cleanup must beat CI's timeout
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)

    def worker_rss_mb(self) -> float:
        """The largest resident size of any worker now (the export's memory)."""
        largest = 0
        for process in self.processes:
            if not process or process.poll() is not None:
                continue
            for pid in _children(process.pid):
                largest = max(largest, _rss_kb(pid))
        return largest / 1024


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _rss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _ready(url: str) -> bool:
    # As the proxy asks (HTTPS=true redirects plain http:// to https://).
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https"})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


class Proxy:
    """nginx with a throwaway self-signed certificate for 127.0.0.1."""

    def __init__(self, app_ports: list[int], work: Path, cleanup: ExitStack):
        self.dir = work / "nginx"
        self.dir.mkdir()
        os.chmod(self.dir, 0o755)
        self.port = free_port()
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
             "-subj", "/CN=127.0.0.1", "-keyout", str(self.dir / "key.pem"),
             "-out", str(self.dir / "cert.pem")],
            check=True, capture_output=True,
        )  # fmt: skip
        for temp in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
            (self.dir / temp).mkdir(mode=0o777)
            os.chmod(self.dir / temp, 0o777)
        servers = "".join(
            f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=3s;\n"
            for port in app_ports
        )
        d = self.dir
        (d / "nginx.conf").write_text(f"""
user nobody nogroup;
worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 2048; }}
http {{
  access_log off;
  client_body_temp_path {d}/body; proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi; uwsgi_temp_path {d}/uwsgi; scgi_temp_path {d}/scgi;
  upstream app {{
{servers}    keepalive 32;
  }}
  server {{
    listen 127.0.0.1:{self.port} ssl;
    ssl_certificate {d}/cert.pem;
    ssl_certificate_key {d}/key.pem;
    client_max_body_size 20m;
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;  # with the port: CSRF compares origins
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto $scheme;
      proxy_bind {PROXY_SOURCE};
      proxy_connect_timeout 1s;
      proxy_read_timeout 60s;
      proxy_next_upstream error timeout;
      add_header X-Upstream $upstream_addr always;
    }}
  }}
}}
""")
        self.process: subprocess.Popen | None = None
        cleanup.callback(self.stop)

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["nginx", "-c", str(self.dir / "nginx.conf"), "-p", str(self.dir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _listening(self.port), "nginx", timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)  # graceful
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
