"""The second-factor gate: with MFA_REQUIRED, a staff session reaches no staff
page and no admin page until it has passed its second factor."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from users.signin.gate import OPEN_VIEWS

from . import test_authorization_matrix as matrix
from .factories import PASSWORD, SuperuserFactory, UserFactory, staff_with
from .mfa import code_for, enrol, verified_client

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
# Every page of the authorization matrix but the sign-in ones, both methods.
GATED = [
    (name, method)
    for name in [*matrix.OUR_PAGES, *matrix.ADMIN_PAGES, *matrix.OWN_FACTOR_PAGES]
    if name not in OPEN_VIEWS
    for method in ("get", "post")
]


def url_of(name: str, target) -> str:
    if name in matrix.OWN_FACTOR_PAGES:
        return reverse(name)
    return matrix.url_of(name, target)


def gate_target(response) -> str:
    assert response.status_code == 302
    return response["Location"]


@pytest.mark.parametrize(("name", "method"), GATED)
def test_no_page_before_setting_up_a_second_factor(mfa_required, name, method):
    client, target = Client(), UserFactory()
    client.force_login(SuperuserFactory())
    url = url_of(name, target)
    location = gate_target(getattr(client, method)(url))
    assert location.startswith(reverse("mfa:setup") + "?next=")


@pytest.mark.parametrize(("name", "method"), GATED)
def test_no_page_before_passing_the_second_factor(mfa_required, name, method):
    client, target, root = Client(), UserFactory(), SuperuserFactory()
    enrol(root)
    client.force_login(root)
    url = url_of(name, target)
    location = gate_target(getattr(client, method)(url))
    assert location.startswith(reverse("mfa:verify") + "?next=")


def test_nothing_changes_behind_the_gate(mfa_required):
    client, target = Client(), UserFactory()
    client.force_login(SuperuserFactory())
    client.post(reverse("users:deactivate", args=[target.pk]))
    client.post(reverse("admin:users_user_delete", args=[target.pk]), {"post": "yes"})
    target.refresh_from_db()
    assert target.is_active


def test_verified_staff_reach_their_pages(mfa_required):
    client = verified_client(staff_with("view_user"))
    assert client.get(reverse("users:list")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_sign_in_pages_stay_reachable(mfa_required):
    root = SuperuserFactory()
    client = Client()
    client.force_login(root)
    assert client.get(reverse("mfa:setup")).status_code == 200
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("login")).status_code == 200
    enrol(root)
    assert client.get(reverse("mfa:verify")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("users:list"))["Location"].startswith(reverse("login"))


def test_password_then_code_lands_on_the_page_asked_for(mfa_required):
    root = SuperuserFactory(username="root")
    device, _ = enrol(root)
    client = Client()
    detail = reverse("users:detail", args=[root.pk])
    response = client.post(
        reverse("login") + f"?next={detail}",
        {"username": "root", "password": PASSWORD, "next": detail},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"{reverse('mfa:verify')}?next={detail}"
    response = client.post(
        response.redirect_chain[-1][0], {"code": code_for(device), "next": detail}
    )
    assert response["Location"] == detail
    assert client.get(detail).status_code == 200


def test_the_admin_login_leads_through_the_second_factor(mfa_required):
    root = SuperuserFactory(username="root")
    device, _ = enrol(root)
    client = Client()
    response = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": "root", "password": PASSWORD, "next": "/admin/"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("mfa:verify") + "?next=/admin/"
    response = client.post(response.redirect_chain[-1][0], {"code": code_for(device)})
    assert response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_an_off_switch_lets_staff_in_without_a_second_factor(settings):
    settings.MFA_REQUIRED = False
    client = Client()
    client.force_login(staff_with("view_user"))
    assert client.get(reverse("users:list")).status_code == 200
    assert client.get(reverse("admin:index")).status_code == 200


def test_accounts_without_staff_status_are_not_asked(mfa_required):
    client = Client()
    client.force_login(UserFactory())
    # Refused as before (403), not sent to set up a second factor.
    assert client.get(reverse("users:list")).status_code == 403


def test_a_verified_session_of_another_account_does_not_carry_over(mfa_required):
    first = verified_client(SuperuserFactory())
    second = SuperuserFactory()
    enrol(second)
    first.force_login(second)
    assert first.get(reverse("users:list"))["Location"].startswith(
        reverse("mfa:verify")
    )


def _setting(*, debug: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "DEBUG", "MFA_REQUIRED")
    } | {"DEBUG": debug, "SECRET_KEY": "x" * 50, **env}
    return subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from django.conf import settings; print(settings.MFA_REQUIRED)",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("debug", "env", "expected"),
    [
        ("false", {}, "True"),  # production: on unless turned off
        ("true", {}, "False"),  # make run: a developer needs no phone
        ("true", {"MFA_REQUIRED": "true"}, "True"),
        ("false", {"MFA_REQUIRED": "off"}, "False"),
    ],
)
def test_mfa_required_follows_debug_unless_set(debug, env, expected):
    result = _setting(debug=debug, **env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == expected


def test_a_broken_mfa_required_stops_start_up():
    result = _setting(debug="false", MFA_REQUIRED="sometimes")
    assert result.returncode != 0
    assert "MFA_REQUIRED must be true or false" in result.stderr
