"""A corpus of hostile values sent to every form field and query parameter.

Never a 500; nothing written when a form refuses; values echoed back escaped.

Each test sends a deterministic sample of the corpus (see `values_for`);
NOOGH_FULL_CORPUS=1 sends every value (CI's PostgreSQL run does).
"""

import hashlib
import json
import os
import random
import re
from itertools import pairwise
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse

from users.models import AuditEvent, User, UserSession
from users.signin import sessions as recorder
from users.versioning import VERSION_SALT

from .factories import (
    PASSWORD,
    SuperuserFactory,
    UserFactory,
    allow_staff_login,
    edit_data,
)
from .mfa import enrol

pytestmark = pytest.mark.django_db
DATA = Path(__file__).parent / "data"
CORPUS_TEXT = (DATA / "hostile_inputs.json").read_text()
CORPUS = json.loads(CORPUS_TEXT)
SHAPES = json.loads((DATA / "hostile_shapes.json").read_text())
FULL_CORPUS = os.environ.get("NOOGH_FULL_CORPUS") == "1"
SAMPLE_SIZE = 32
LIST_PARAMETERS = (
    "q",
    "is_active",
    "is_staff",
    "is_superuser",
    "created_after",
    "created_before",
    "ordering",
    "per_page",
    "page",
    "group",
    "created",
    "last_login",
    "last_login_after",
    "last_login_before",
    "status",
    "expiring",
)
CREATE_FIELDS = ("username", "email", "full_name", "password1")
MARKUP = "<script>alert(1)</script>"


def values_for(key: str) -> list[str]:
    """The corpus values a test sends to one field or parameter (`key`).

    All of them with NOOGH_FULL_CORPUS=1. Otherwise one value from each of
    SAMPLE_SIZE consecutive slices of the corpus (it is grouped by kind, so every
    kind is tried), drawn with a seed made of the corpus itself and `key`: the
    same values on every run until the corpus changes, different ones for each
    field. Plus every value carrying MARKUP, which the escaping checks look for.
    """
    if FULL_CORPUS:
        return CORPUS
    seed = hashlib.sha256(f"{CORPUS_TEXT}\0{key}".encode()).hexdigest()
    rng = random.Random(seed)
    bounds = [len(CORPUS) * n // SAMPLE_SIZE for n in range(SAMPLE_SIZE + 1)]
    picked = {rng.randrange(low, high) for low, high in pairwise(bounds)}
    picked |= {n for n, value in enumerate(CORPUS) if MARKUP in value}
    return [CORPUS[n] for n in sorted(picked)]


@pytest.fixture
def staff_client():
    client = Client(raise_request_exception=False)
    client.force_login(SuperuserFactory(username="root"))
    return client


@pytest.mark.parametrize("parameter", LIST_PARAMETERS)
def test_list_and_export_parameters(staff_client, parameter):
    for value in values_for(f"list:{parameter}"):
        for url in (reverse("users:list"), reverse("users:export")):
            response = staff_client.get(url, {parameter: value})
            assert response.status_code in (200, 400), (parameter, value[:60])
            if not response.streaming:
                assert MARKUP not in response.content.decode(), (parameter, value[:60])


def test_back_to_the_list_addresses(staff_client):
    """A user's pages take the list address to return to from `back`: no value
    leads anywhere but the list, or breaks a page."""
    target = UserFactory(username="target")
    detail = reverse("users:detail", args=[target.pk])
    deactivate = reverse("users:deactivate", args=[target.pk])
    for value in values_for("back"):
        response = staff_client.get(detail, {"back": value})
        assert response.status_code == 200, value[:60]
        assert MARKUP not in response.content.decode(), value[:60]
        response = staff_client.post(f"{deactivate}?back={quote(value, safe='')}")
        assert response.status_code == 302, value[:60]
        assert response["Location"].startswith(f"{detail}"), value[:60]


def test_invalid_utf8_in_the_query_string(staff_client):
    for raw in ("q=%FF%FE", "q=%C0%AF", "ordering=%ED%A0%80", "page=%80", "q=%E2%82"):
        response = staff_client.generic("GET", reverse("users:list"), QUERY_STRING=raw)
        assert response.status_code in (200, 400), raw


@pytest.mark.parametrize("field", CREATE_FIELDS)
def test_create_form_fields(staff_client, field):
    before = User.objects.count()
    for n, value in enumerate(values_for(f"create:{field}")):
        data = {
            "username": f"new{n}",
            "email": f"new{n}@example.com",
            "full_name": "New",
            "is_active": "on",
            field: value,
        }
        if field == "password1":
            data["password2"] = value
        response = staff_client.post(reverse("users:create"), data)
        assert response.status_code in (200, 302), (field, value[:60])
        if response.status_code == 200:
            assert MARKUP not in response.content.decode()
            assert User.objects.count() == before, (field, value[:60])
        else:
            before += 1


@pytest.mark.parametrize("field", ("username", "email", "full_name", "version"))
def test_edit_form_fields(staff_client, field):
    target = UserFactory(username="target", email="target@example.com")
    for value in values_for(f"edit:{field}"):
        target.refresh_from_db()
        snapshot = (target.username, target.email, target.full_name)
        data = {
            "username": "target",
            "email": "target@example.com",
            "full_name": "Same",
            "is_active": "on",
            field: value,
        }
        response = staff_client.post(reverse("users:edit", args=[target.pk]), data)
        assert response.status_code in (200, 302), (field, value[:60])
        if response.status_code == 200:
            assert MARKUP not in response.content.decode()
            target.refresh_from_db()
            assert (target.username, target.email, target.full_name) == snapshot
        else:
            # Put it back, so the next value starts from the same user.
            User.objects.filter(pk=target.pk).update(
                username="target", email="target@example.com", full_name="Same"
            )


def signed_versions():
    """Well-signed version tokens (as if the key had leaked) holding hostile
    moments and shapes."""
    for moment in SHAPES["version_moments"]:
        yield {"at": moment, "values": {}}
    yield from SHAPES["version_payloads"]


def test_signed_versions_with_hostile_moments_save_nothing(staff_client):
    target = UserFactory(full_name="Kept")
    for payload in signed_versions():
        token = signing.dumps(payload, salt=VERSION_SALT, compress=True)
        data = edit_data(target, full_name="Changed") | {"version": token}
        for url_name in ("users:edit", "admin:users_user_change"):
            response = staff_client.post(reverse(url_name, args=[target.pk]), data)
            assert response.status_code == 200, (url_name, payload)
            page = response.content.decode()
            assert "out of date" in page or "Someone else changed" in page
    target.refresh_from_db()
    assert target.full_name == "Kept"


@pytest.mark.parametrize("field", ("username", "password"))
def test_login_form_fields(field):
    """Every value reaches the login form: django-axes locks a username+address
    after a few failures and an address after more, so each value comes from
    its own address (and, for the password, a username tried once from there)."""
    for n, value in enumerate(values_for(f"login:{field}")):
        address = f"198.18.{n // 200}.{n % 200 + 1}"
        client = Client(raise_request_exception=False, REMOTE_ADDR=address)
        data = {"username": "someone", "password": "something"} | {field: value}
        response = client.post(reverse("login"), data)
        assert response.status_code == 200, (field, value[:60])
        assert response.templates[0].name == "registration/login.html"
        assert response.context["form"].errors, (field, value[:60])
        assert "_auth_user_id" not in client.session
        assert MARKUP not in response.content.decode()


def test_admin_search(staff_client):
    for value in values_for("admin:q"):
        response = staff_client.get(
            reverse("admin:users_user_changelist"), {"q": value}
        )
        assert response.status_code in (200, 302, 400), value[:60]
        assert MARKUP not in response.content.decode()


def test_refused_forms_leave_no_audit_trail(staff_client):
    events = AuditEvent.objects.count()
    for value in values_for("create:username+email"):
        staff_client.post(reverse("users:create"), {"username": value, "email": value})
    created = User.objects.exclude(username="root").count()
    assert AuditEvent.objects.count() == events + created


def test_over_long_logins_are_form_errors_everywhere():
    for url in (reverse("login"), reverse("admin:login")):
        client = Client(raise_request_exception=False)
        response = client.post(url, {"username": "a" * 5000, "password": "x"})
        assert response.status_code == 200, url
        assert "at most 254 characters" in response.content.decode()


@pytest.mark.parametrize("url_name", ["mfa:setup", "mfa:verify"])
def test_second_factor_code_and_next_fields(settings, url_name):
    settings.MFA_REQUIRED = True
    root = SuperuserFactory(username="mfa_root")
    if url_name == "mfa:verify":
        enrol(root)
    client = Client(raise_request_exception=False)
    client.force_login(root)
    url = reverse(url_name)
    for value in values_for(url_name):
        for response in (
            client.post(url, {"code": value, "next": "/users/"}),
            client.post(url, {"code": "12345", "next": value}),
            client.get(url, {"next": value}),
        ):
            assert response.status_code in (200, 429), (url_name, value[:60])
            assert MARKUP not in response.content.decode(), (url_name, value[:60])
    # No value passed for a code: the staff pages stay closed.
    assert client.get(reverse("users:list"))["Location"].startswith(url)


def _session_urls(user_pk: int, session_id: str) -> list[str]:
    part = quote(session_id, safe="")
    return [
        f"/users/{user_pk}/sessions/{part}/end/",
        f"/users/me/sessions/{part}/end/",
        f"/users/{part}/sessions/end-all/",
    ]


def test_session_ids_in_urls(staff_client):
    target = UserFactory()
    theirs = Client()
    theirs.force_login(target)
    overflowing = ["9" * 30, str(2**63), "-1", "0", "1e3", " 1", "١"]
    for value in values_for("session id") + overflowing:
        if re.fullmatch("[0-9]{1,6}", value):
            continue  # may name a real account or session (tested elsewhere)
        for url in _session_urls(target.pk, value):
            response = staff_client.post(url)
            assert response.status_code == 404, (url[:80], response.status_code)
    assert theirs.get(reverse("users:my_sessions")).status_code == 200


def test_user_agents(staff_client):
    """The browser label and the kept header come from the client: anything goes,
    nothing breaks, everything shown is escaped."""
    user = UserFactory(username="traveller")
    allow_staff_login(user)
    for value in values_for("User-Agent"):
        client = _signed_in_with_agent(user, value)
        page = client.get(reverse("users:my_sessions"))
        assert page.status_code == 200, value[:60]
        assert MARKUP not in page.content.decode()
        assert any(row.is_current for row in page.context["sessions"]), value[:60]
    for url in (
        reverse("users:detail", args=[user.pk]),
        reverse("admin:users_user_change", args=[user.pk]),
    ):
        response = staff_client.get(url)
        assert response.status_code == 200
        assert MARKUP not in response.content.decode()


def _signed_in_with_agent(user, agent: str) -> Client:
    client = Client(raise_request_exception=False, HTTP_USER_AGENT=agent)
    if "\x00" not in agent:
        response = client.post(
            reverse("login"), {"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302, agent[:60]
        return client
    # A NUL signs in through the form too (users.signin.lockout drops it from
    # what django-axes stores: test_attack_mfa_sessions.py); here it takes the
    # path that records a session signed in before recording began.
    client.force_login(user)
    UserSession.objects.filter(session_key=client.session.session_key).delete()
    session = client.session
    session.pop(recorder.RECORD_KEY)
    session.save()
    client.get(reverse("users:my_sessions"))  # records it, after the page
    return client


@pytest.mark.parametrize("field", ("lift", "ip", "login_key"))
def test_lockout_lift_fields(staff_client, field):
    UserFactory(username="ada")
    for _ in range(5):
        Client(REMOTE_ADDR="198.51.100.1").post(
            reverse("login"), {"username": "ada", "password": "wrong"}
        )
    locked = reverse("users:lockouts")
    for value in CORPUS:
        data = {"lift": "account", "ip": "198.51.100.1", "login_key": "login:nobody"}
        data[field] = value
        response = staff_client.post(reverse("users:lockout_lift"), data)
        assert response.status_code in (302, 400), (field, value[:60])
        assert MARKUP not in response.content.decode()
    # ada's lockout was never named, so it stands.
    assert "198.51.100.1" in staff_client.get(locked).content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UNLOCK).exists()


@pytest.mark.parametrize("field", ("reason", "note", "until", "message"))
def test_suspend_form_fields(staff_client, field):
    """Hostile values are field errors or stored as text, never a 500, and
    never markup on the page."""
    target = UserFactory(username="target")
    url = reverse("users:suspend", args=[target.pk])
    for value in values_for(f"suspend:{field}"):
        data = {"reason": "other", "note": "n", "until": "", "message": ""}
        data[field] = value
        response = staff_client.post(url, data)
        assert response.status_code in (200, 302), (field, value[:60])
        assert MARKUP not in response.content.decode(), (field, value[:60])
        page = staff_client.get(reverse("users:detail", args=[target.pk]))
        assert MARKUP not in page.content.decode(), (field, value[:60])


def test_active_until_field(staff_client):
    target = UserFactory()
    url = reverse("users:active_until", args=[target.pk])
    for value in values_for("active_until"):
        response = staff_client.post(url, {"active_until": value})
        assert response.status_code in (200, 302), value[:60]
        assert MARKUP not in response.content.decode(), value[:60]


@pytest.mark.parametrize("field", ("exempt", "note"))
def test_dormancy_exemption_fields(staff_client, field):
    """Hostile values are field errors or stored as text (the note), never a
    500, never markup on the form or the account's page."""
    target = UserFactory()
    url = reverse("users:dormancy_exemption", args=[target.pk])
    for value in values_for(f"dormancy_exemption:{field}"):
        data = {"exempt": "on", "note": "n"} | {field: value}
        response = staff_client.post(url, data)
        assert response.status_code in (200, 302), (field, value[:60])
        assert MARKUP not in response.content.decode(), (field, value[:60])
        page = staff_client.get(reverse("users:detail", args=[target.pk]))
        assert MARKUP not in page.content.decode(), (field, value[:60])


def test_forwarded_for_headers_behind_a_proxy(staff_client, settings):
    """Whatever a client puts in X-Forwarded-For, the trail gets an address."""
    settings.TRUSTED_PROXY_COUNT = 1
    target = UserFactory()
    for n, value in enumerate(CORPUS):
        toggle = "users:activate" if n % 2 else "users:deactivate"
        response = staff_client.post(
            reverse(toggle, args=[target.pk]),
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=value,
        )
        assert response.status_code == 302, value[:60]
    assert AuditEvent.objects.about(target).count() == len(CORPUS)
    addresses = set(AuditEvent.objects.values_list("ip", flat=True))
    assert addresses and all(ip for ip in addresses)


def test_typed_logins_are_shown_escaped_on_the_lockouts_page(staff_client):
    attacker = Client(REMOTE_ADDR="198.51.100.1")
    for _ in range(5):
        attacker.post(reverse("login"), {"username": MARKUP, "password": "x"})
    page = staff_client.get(reverse("users:lockouts")).content.decode()
    assert "login &lt;script&gt;" in page and MARKUP not in page
