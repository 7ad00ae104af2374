"""The client address behind TRUSTED_PROXY_COUNT proxies (finding 1): the
Nth X-Forwarded-For entry from the right, the same for lockouts, the audit
trail and the security log; whatever a client puts on the left is ignored."""

import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from users.models import AuditEvent

from .factories import PASSWORD, SuperuserFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
GUNICORN = Path(sys.executable).parent / "gunicorn"
PROXY = "10.0.0.2"  # REMOTE_ADDR: the proxy in front of the app


def audited_ip(client, **headers) -> str | None:
    """Deactivate someone with these headers; the address the trail recorded."""
    target = UserFactory()
    client.post(reverse("users:deactivate", args=[target.pk]), **headers)
    return AuditEvent.objects.about(target).first().ip


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "198.51.100.7", PROXY),  # no proxies trusted: the header is ignored
        (1, None, PROXY),
        (1, "198.51.100.7", "198.51.100.7"),
        (1, "203.0.113.9, 198.51.100.7", "198.51.100.7"),
        (1, "garbage, 198.51.100.7", "198.51.100.7"),
        (1, "198.51.100.7:5123", "198.51.100.7"),
        (1, "[2001:db8::7]:443", "2001:db8::7"),
        (1, "::ffff:198.51.100.7", "198.51.100.7"),
        (1, "198.51.100.7, unknown", PROXY),  # a misconfigured proxy
        (2, "203.0.113.9, 198.51.100.7, 10.0.0.1", "198.51.100.7"),
        (2, "198.51.100.7", "198.51.100.7"),  # came in at the inner proxy
    ],
)
def test_the_trail_records_the_address_the_proxies_vouch_for(
    client, settings, proxies, forwarded_for, expected
):
    settings.TRUSTED_PROXY_COUNT = proxies
    client.force_login(SuperuserFactory())
    headers = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded_for
    assert audited_ip(client, **headers) == expected


@pytest.mark.django_db
def test_lockouts_key_on_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    UserFactory(username="ada")
    attacker = Client(REMOTE_ADDR=PROXY)
    for n in range(5):
        attacker.post(
            reverse("login"),
            {"username": "ada", "password": "wrong"},
            HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, 198.51.100.1",
        )
    refused = attacker.post(
        reverse("login"),
        {"username": "ada", "password": PASSWORD},
        HTTP_X_FORWARDED_FOR="192.0.2.99, 198.51.100.1",
    )
    assert refused.status_code == 429


# --- through a real gunicorn behind one (simulated) proxy -------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """One real client, as the proxy forwards it: its own address appended on
    the right of whatever X-Forwarded-For it sent."""

    def __init__(self, base: str, address: str):
        self.base, self.address = base, address
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirects()
        )

    def request(self, path: str, data: dict | None = None, forged: str = "") -> tuple:
        chain = f"{forged}, {self.address}" if forged else self.address
        request = urllib.request.Request(
            self.base + path,
            data=urllib.parse.urlencode(data).encode() if data is not None else None,
            headers={"X-Forwarded-For": chain},
        )
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post_form(self, path: str, form_page: str, fields: dict, forged="") -> int:
        _, page = self.request(form_page, forged=forged)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        data = fields | {"csrfmiddlewaretoken": token.group(1)}
        return self.request(path, data, forged=forged)[0]

    def log_in(self, username: str, password: str, forged: str = "") -> int:
        login = "/accounts/login/"
        fields = {"username": username, "password": password}
        return self.post_form(login, login, fields, forged=forged)


@pytest.fixture
def gunicorn(tmp_path):
    """gunicorn (gunicorn.conf.py) on a free port over a fresh SQLite file,
    with TRUSTED_PROXY_COUNT=1; yields (base URL, database path, log path)."""
    database, log = tmp_path / "db.sqlite3", tmp_path / "gunicorn.log"
    port = free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "DJANGO_SETTINGS_MODULE")
    } | {
        "DATABASE_URL": f"sqlite:///{database}",
        "DEBUG": "false",
        "HTTPS": "false",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1",
        "TRUSTED_PROXY_COUNT": "1",
        "BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "2",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run(
        [*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    create = (
        "from users import services\n"
        "for name, power in (('root', True), ('target', False)):\n"
        "    services.user_create(username=name, email=name + '@example.com',"
        f" is_staff=power, is_superuser=power, password={PASSWORD!r})\n"
    )
    subprocess.run([*manage, "shell", "-c", create], cwd=ROOT, env=env, check=True)
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(GUNICORN), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        yield base, database, log
    finally:
        server.terminate()
        server.wait(timeout=30)


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn exited"
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer /healthz")


def rows(database: Path, sql: str) -> list[tuple]:
    import sqlite3

    with sqlite3.connect(database) as connection:
        return connection.execute(sql).fetchall()


def security_events(log: Path) -> list[dict]:
    lines = [line for line in log.read_text().splitlines() if line.startswith("{")]
    return [json.loads(line) for line in lines]


@pytest.mark.slow
def test_behind_a_proxy_real_clients_are_told_apart(gunicorn):
    base, database, log = gunicorn
    attacker = Browser(base, "198.51.100.10")
    colleague = Browser(base, "198.51.100.20")  # behind the same proxy
    # The attacker changes its forged left-most entry on every try.
    statuses = [
        attacker.log_in("root", "wrong", forged=f"203.0.113.{n}") for n in range(5)
    ]
    assert statuses == [200, 200, 200, 200, 429]
    assert attacker.log_in("root", PASSWORD, forged="203.0.113.77") == 429
    # The colleague even forges the attacker's address: it does not matter.
    assert colleague.log_in("root", PASSWORD, forged="198.51.100.10") == 302
    target = rows(database, "SELECT id FROM users_user WHERE username='target'")[0][0]
    deactivate = f"/users/{target}/deactivate/"
    assert colleague.post_form(deactivate, f"/users/{target}/", {}) == 302

    assert rows(database, "SELECT DISTINCT ip_address FROM axes_accessattempt") == [
        ("198.51.100.10",)
    ]
    trail = "SELECT action, ip FROM users_auditevent WHERE action='deactivate'"
    assert rows(database, trail) == [("deactivate", "198.51.100.20")]
    events = {(line["event"], line["ip"]) for line in security_events(log)}
    assert ("login_failed", "198.51.100.10") in events
    assert ("lockout", "198.51.100.10") in events
    assert ("login", "198.51.100.20") in events
    assert {ip for _, ip in events} == {"198.51.100.10", "198.51.100.20"}
