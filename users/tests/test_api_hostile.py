"""Hostile input to the JSON API: odd ids, the hostile-input corpus in every
path, query and body field, bodies that are not JSON objects, other content
types and charsets, forged CSRF. Always a 4xx (or a plain answer), never a
500, and nothing written by a request that was refused."""

import json
from urllib.parse import quote

import pytest
from django.test import Client

from users.models import User

from .api import bearer_client
from .factories import SuperuserFactory, UserFactory, staff_with
from .test_hostile_input import SHAPES, values_for

pytestmark = pytest.mark.django_db
BODY_FIELDS = ("email", "username", "full_name", "password")
LIST_PARAMETERS = (
    "q",
    "skip",
    "limit",
    "cursor",
    "is_active",
    "is_staff",
    "is_superuser",
    "created_after",
    "created_before",
    "ordering",
)


@pytest.fixture
def api():
    return bearer_client(SuperuserFactory(username="root"))


def _count() -> int:
    return User.objects.count()


@pytest.mark.parametrize(
    "raw_id",
    [
        "1e3",
        "-1",
        "0",
        "1.0",
        "+1",
        " 1",
        "0x10",
        "99999999999999999999999",
        "9223372036854775808",
        "%00",
        "%E2%80%8B1",
        "%D9%A1",  # Arabic-Indic one
        "%EF%BC%91",  # fullwidth one
        "NaN",
        "x" * 5000,
    ],
)
@pytest.mark.parametrize(
    ("method", "suffix"),
    [("get", ""), ("patch", ""), ("delete", ""), ("post", "/deactivate")],
)
def test_odd_ids_are_4xx(api, raw_id, method, suffix):
    before = _count()
    response = getattr(api, method)(f"/api/users/{raw_id}{suffix}")
    assert 400 <= response.status_code < 500, (raw_id, response.status_code)
    assert "detail" in response.json()
    assert _count() == before


@pytest.mark.parametrize("value", values_for("api email path"))
def test_email_path_takes_the_corpus(api, value):
    response = api.get(f"/api/users/email/{quote(value, safe='')}")
    assert response.status_code in (404, 422), repr(value)


@pytest.mark.parametrize("name", LIST_PARAMETERS)
def test_list_and_search_parameters_take_the_corpus(api, name):
    for value in values_for(f"api {name}"):
        for path in ("/api/users", "/api/users/search"):
            params = {"q": "a"} if path.endswith("search") else {}
            response = api.get(path, params | {name: value})
            assert response.status_code in (200, 422), (name, value)


@pytest.mark.parametrize("field", BODY_FIELDS)
def test_create_fields_take_the_corpus(api, field):
    for value in values_for(f"api create {field}"):
        body = {"email": "new@example.com", "username": "newbie", field: value}
        before = _count()
        response = api.post("/api/users", body, content_type="application/json")
        assert response.status_code in (201, 422), (field, value)
        if response.status_code == 422:
            assert _count() == before
            assert response.json()["detail"][0]["msg"]
        else:
            User.objects.filter(pk=response.json()["id"]).delete()


@pytest.mark.parametrize("field", BODY_FIELDS[:3])
def test_patch_fields_take_the_corpus(api, field):
    user = UserFactory()
    for value in values_for(f"api patch {field}"):
        response = api.patch(
            f"/api/users/{user.pk}", {field: value}, content_type="application/json"
        )
        assert response.status_code in (200, 422), (field, value)


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        '"a string"',
        "1",
        "null",
        "true",
        "{",
        "",
        '{"email": null, "username": null}',
        '{"email": ["a@example.com"], "username": {"x": 1}}',
        '{"email": "a@example.com", "username": "a", "is_superuser": "yes please"}',
        '{"email": "a@example.com", "username": "a", "is_active": 2}',
        '{"email": "a\\u0000@example.com", "username": "nul\\u0000"}',
        '{"email": "a@example.com", "username": "\\ud800"}',
        '{"email": "a@example.com", "username": "a", "email": "b@example.com", '
        '"extra": 1}',
        "\ufeff{}",
        '{"a": ' * 200 + "1" + "}" * 200,
    ],
)
@pytest.mark.parametrize("method", ["post", "patch"])
def test_bodies_that_are_not_a_user_are_4xx(api, body, method):
    user = UserFactory()
    url = "/api/users" if method == "post" else f"/api/users/{user.pk}"
    before = list(User.objects.values())
    response = getattr(api, method)(url, body, content_type="application/json")
    # An empty change ("{}" after a byte-order mark) is a change of nothing.
    lowest = 200 if method == "patch" and body == "\ufeff{}" else 400
    assert lowest <= response.status_code < 500, (body[:40], response.status_code)
    assert list(User.objects.values()) == before


@pytest.mark.parametrize("charset", SHAPES["charsets"][:12])
@pytest.mark.parametrize("content_type", SHAPES["content_types"])
def test_other_content_types_and_charsets_are_4xx(api, content_type, charset):
    body = json.dumps({"email": "a@example.com", "username": "a"})
    response = api.post(
        "/api/users", body, content_type=content_type.format(charset=charset)
    )
    assert response.status_code < 500
    assert not User.objects.filter(username="a").exists() or response.status_code == 201


def test_an_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/nothing/here")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    assert api.put("/api/users").status_code == 405


# --- Sessions need their CSRF token for anything but reading ---------------------


def test_session_writes_need_the_csrf_token():
    staff = staff_with("view_user", "change_user")
    target = UserFactory()
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff)
    assert client.get("/api/users").status_code == 200
    refused = client.post(f"/api/users/{target.pk}/deactivate")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    target.refresh_from_db()
    assert target.is_active
    client.get("/accounts/tokens/")  # any page sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    accepted = client.post(
        f"/api/users/{target.pk}/deactivate", headers={"X-CSRFToken": token}
    )
    assert accepted.status_code == 200
    target.refresh_from_db()
    assert not target.is_active


def test_a_bearer_request_needs_no_csrf_token():
    client = bearer_client(staff_with("view_user", "change_user"))
    client.handler.enforce_csrf_checks = True
    target = UserFactory()
    assert client.post(f"/api/users/{target.pk}/deactivate").status_code == 200


@pytest.mark.usefixtures("mfa_required")
def test_an_unverified_staff_session_gets_json_not_a_redirect():
    client = Client()
    client.force_login(staff_with("view_user"))
    response = client.get("/api/users")
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


# --- The hierarchy holds for tokens too ----------------------------------------------


def test_a_staff_token_cannot_touch_a_superuser_or_grant_power():
    staff = staff_with("view_user", "change_user", "delete_user")
    root = SuperuserFactory()
    SuperuserFactory()
    peer = UserFactory()
    api = bearer_client(staff)
    assert api.post(f"/api/users/{root.pk}/deactivate").status_code == 403
    assert api.delete(f"/api/users/{root.pk}").status_code == 403
    patch = api.patch(
        f"/api/users/{peer.pk}", {"is_superuser": True}, content_type="application/json"
    )
    assert patch.status_code == 403
    own = api.post(f"/api/users/{staff.pk}/deactivate")
    assert own.status_code == 403 and "own" in own.json()["detail"]
    root.refresh_from_db(), peer.refresh_from_db()
    assert root.is_active and not peer.is_superuser
