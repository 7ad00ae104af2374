"""Who reaches what in the JSON API and on the token pages: every route x
every role x a bearer token or a session (test_authorization_matrix.py's
roles and permission sets).

Without credentials, or with a session of an inactive account: 401. A session
of someone the API does not serve (not staff who may see users): 403. A token
whose owner is not such a person (made while they were): 401, as any token
that does not let anyone in. Staff who may see users read everything; writes
are the services' rules, as on the pages (403 otherwise), and a refused write
changes nothing.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from users import tokens
from users.models import ApiToken, AuditEvent, User

from .factories import ROLES, UserFactory
from .test_authorization_matrix import (
    CHANGERS,
    DELETERS,
    LOGGED_OUT,
    SUPERUSER,
    VIEWERS,
)

pytestmark = pytest.mark.django_db
SERVED = VIEWERS  # who the API serves: staff who may see users
EVERYONE = set(ROLES)
# name: (method, path (with {id} for the target), body, roles allowed, status).
ROUTES = {
    "list": ("get", "/api/users", None, EVERYONE, 200),
    "search": ("get", "/api/users/search?q=user", None, EVERYONE, 200),
    "get": ("get", "/api/users/{id}", None, EVERYONE, 200),
    "by email": ("get", "/api/users/email/{email}", None, EVERYONE, 200),
    "create": (
        "post",
        "/api/users",
        {"email": "new@example.com", "username": "newbie"},
        SUPERUSER,
        201,
    ),
    "patch": ("patch", "/api/users/{id}", {"full_name": "Changed"}, CHANGERS, 200),
    "deactivate": ("post", "/api/users/{id}/deactivate", None, CHANGERS, 200),
    "activate": ("post", "/api/users/{id}/activate", None, CHANGERS, 200),
    "delete": ("delete", "/api/users/{id}", None, DELETERS, 204),
}
WRITES = {"create", "patch", "deactivate", "activate", "delete"}


def state() -> tuple:
    """Users and the trail, leaving out the record of a token's use."""
    events = AuditEvent.objects.exclude(action=AuditEvent.Action.TOKEN_USE)
    return list(User.objects.order_by("pk").values()), events.count()


def _token_of(user: User) -> str:
    """A token row for user, made directly: as if made while they could."""
    plaintext = f"noogh_abcdefgh_{'x' * 43}"
    ApiToken.objects.create(
        user=user,
        name="matrix",
        prefix="abcdefgh",
        digest=tokens.digest_of(plaintext),
        epoch=user.session_epoch,
        expires_at=timezone.now() + timedelta(days=1),
    )
    return plaintext


def _client(role: str, auth: str) -> Client:
    user = ROLES[role]()
    client = Client(raise_request_exception=False)
    if user is None:
        return client
    if auth == "session":
        client.force_login(user)
        return client
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {_token_of(user)}"
    return client


def _expected(name: str, role: str, auth: str) -> int:
    _, _, _, allowed, status = ROUTES[name]
    if role in LOGGED_OUT or (role not in SERVED and auth == "bearer"):
        return 401
    if role not in SERVED or role not in allowed:
        return 403
    return status


@pytest.mark.parametrize("auth", ["bearer", "session"])
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("name", ROUTES)
def test_api_matrix(name, role, auth):
    method, path, body, _, _ = ROUTES[name]
    target = UserFactory(is_active=name != "activate")
    client = _client(role, auth)
    url = path.format(id=target.pk, email=target.email)
    before = state()
    if body is None:
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(url, body, content_type="application/json")
    case = f"{method.upper()} {url} as {role} ({auth})"
    status = _expected(name, role, auth)
    assert response.status_code == status, f"{case}: {response.status_code}"
    if status == 401:
        assert response["WWW-Authenticate"].startswith("Bearer"), case
    if status >= 400:
        assert "detail" in response.json(), case
    changed = state() != before
    if name in WRITES and status < 400:
        assert changed, f"{case} changed nothing"
        assert state()[1] > before[1], f"{case}: not recorded"
    elif name in WRITES:
        assert not changed, f"{case} changed something"


# The token pages: staff who may see users, for their own tokens.
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["get", "post"])
def test_token_page_matrix(client, login, method, role):
    user = login(role)
    url = reverse("tokens:list")
    data = {"name": "ci", "lifetime": "7"} if method == "post" else None
    response = getattr(client, method)(url, data)
    case = f"{method.upper()} {url} as {role}"
    if role in LOGGED_OUT:
        assert response.status_code == 302, case
        assert response["Location"].startswith(reverse("login")), case
    elif role not in SERVED:
        assert response.status_code == 403, case
    elif method == "get":
        assert response.status_code == 200, case
    else:
        assert response.status_code == 302, case
        assert ApiToken.objects.filter(user=user).count() == 1, case
        return
    assert not ApiToken.objects.exists(), case


@pytest.mark.parametrize("role", ROLES)
def test_token_revoke_matrix(client, login, role):
    user = login(role)
    owner = user if role in SERVED else ROLES["viewer"]()
    _token_of(owner)
    token = ApiToken.objects.get()
    url = reverse("tokens:revoke", args=[token.pk])
    assert client.get(url).status_code in (302, 403, 405)
    response = client.post(url)
    token.refresh_from_db()
    if role in LOGGED_OUT:
        assert response.status_code == 302 and token.revoked_at is None
    elif role not in SERVED:
        assert response.status_code == 403 and token.revoked_at is None
    else:
        assert response.status_code == 302 and token.revoked_at is not None
