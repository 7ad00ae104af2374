"""Production headers, CSP without inline code, CSRF, and Django's deploy check."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from .factories import UserFactory, staff_with

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_security_headers_on_every_page(client):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    for directive in (
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "script-src 'self'",
        "style-src 'self'",
    ):
        assert directive in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_templates_have_no_inline_script_or_style():
    for template in (ROOT / "templates").rglob("*.html"):
        html = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), template
        assert "<style" not in html and " style=" not in html, template


def test_csrf_is_enforced_on_state_changes():
    target = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff_with("view_user", "change_user"))
    url = reverse("users:deactivate", args=[target.pk])
    assert client.post(url).status_code == 403
    target.refresh_from_db()
    assert target.is_active
    page = client.get(reverse("users:detail", args=[target.pk]))
    token = re.search(
        r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()
    )
    assert client.post(url, {"csrfmiddlewaretoken": token.group(1)}).status_code == 302
    target.refresh_from_db()
    assert not target.is_active


def production_environment() -> dict:
    dropped = ("DEBUG", "HTTPS", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the last: browser tests
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return env | {
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "admin.example.com",
        "EMAIL_URL": "smtp+tls://noogh:secret@mail.example.com:587",
    }


def test_deploy_check_refuses_mail_that_is_only_printed():
    """Without EMAIL_URL, invitations would go to stdout (Django's mail.E001)."""
    environment = production_environment()
    del environment["EMAIL_URL"]
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "mail.E001" in result.stderr


def test_deploy_check_passes_with_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_cookies_are_secure_and_host_only():
    script = (
        "from django.conf import settings as s; print(s.SESSION_COOKIE_NAME, "
        "s.CSRF_COOKIE_NAME, s.SESSION_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip().splitlines()[-1].split() == [
        "__Host-sessionid",
        "__Host-csrftoken",
        "True",
        "True",
        "31536000",
        "True",
    ], result.stderr


def test_nothing_dynamic_is_stored_by_a_cache(superuser_client):
    target = UserFactory()
    for url in (
        reverse("users:list"),
        reverse("users:detail", args=[target.pk]),
        reverse("users:export"),
        reverse("admin:index"),
        reverse("admin:users_user_changelist"),
        reverse("admin:users_user_change", args=[target.pk]),
        "/users/no-such-page/",
    ):
        response = superuser_client.get(url)
        cache_control = response.get("Cache-Control", "")
        assert "no-store" in cache_control and "private" in cache_control, url
    assert "no-store" in Client().get(reverse("login"))["Cache-Control"]


def test_static_files_keep_their_caching(settings):
    settings.WHITENOISE_USE_FINDERS = True  # serve from static/, as in development
    response = Client().get("/static/css/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert "max-age" in response["Cache-Control"]
