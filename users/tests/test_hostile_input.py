"""A corpus of hostile values sent to every form field and query parameter.

Never a 500; nothing written when a form refuses; values echoed back escaped.
"""

import json
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from users.models import AuditEvent, User

from .factories import SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db
CORPUS = json.loads(
    (Path(__file__).parent / "data" / "hostile_inputs.json").read_text()
)
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
)
CREATE_FIELDS = ("username", "email", "full_name", "password1")
MARKUP = "<script>alert(1)</script>"


@pytest.fixture
def staff_client():
    client = Client(raise_request_exception=False)
    client.force_login(SuperuserFactory(username="root"))
    return client


def test_the_corpus_is_big_enough():
    assert len(CORPUS) >= 200
    assert len(set(CORPUS)) == len(CORPUS)


@pytest.mark.parametrize("parameter", LIST_PARAMETERS)
def test_list_and_export_parameters(staff_client, parameter):
    for value in CORPUS:
        for url in (reverse("users:list"), reverse("users:export")):
            response = staff_client.get(url, {parameter: value})
            assert response.status_code in (200, 400), (parameter, value[:60])
            if not response.streaming:
                assert MARKUP not in response.content.decode(), (parameter, value[:60])


def test_invalid_utf8_in_the_query_string(staff_client):
    for raw in ("q=%FF%FE", "q=%C0%AF", "ordering=%ED%A0%80", "page=%80", "q=%E2%82"):
        response = staff_client.generic("GET", reverse("users:list"), QUERY_STRING=raw)
        assert response.status_code in (200, 400), raw


@pytest.mark.parametrize("field", CREATE_FIELDS)
def test_create_form_fields(staff_client, field):
    before = User.objects.count()
    for n, value in enumerate(CORPUS):
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
    for value in CORPUS:
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


@pytest.mark.parametrize("field", ("username", "password"))
def test_login_form_fields(field):
    for value in CORPUS:
        client = Client(raise_request_exception=False, REMOTE_ADDR="198.51.100.9")
        data = {"username": "someone", "password": "something"} | {field: value}
        response = client.post(reverse("login"), data)
        assert response.status_code in (200, 400, 429), (field, value[:60])
        assert MARKUP not in response.content.decode()


def test_admin_search(staff_client):
    for value in CORPUS:
        response = staff_client.get(
            reverse("admin:users_user_changelist"), {"q": value}
        )
        assert response.status_code in (200, 302, 400), value[:60]
        assert MARKUP not in response.content.decode()


def test_refused_forms_leave_no_audit_trail(staff_client):
    events = AuditEvent.objects.count()
    for value in CORPUS[:50]:
        staff_client.post(reverse("users:create"), {"username": value, "email": value})
    created = User.objects.exclude(username="root").count()
    assert AuditEvent.objects.count() == events + created


def test_over_long_logins_are_form_errors_everywhere():
    for url in (reverse("login"), reverse("admin:login")):
        client = Client(raise_request_exception=False)
        response = client.post(url, {"username": "a" * 5000, "password": "x"})
        assert response.status_code == 200, url
        assert "at most 254 characters" in response.content.decode()


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
