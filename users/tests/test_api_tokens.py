"""Personal API tokens: who may make them (MFA included), how they are stored,
what a request presenting one gets (expired, revoked, wrong, malformed ...),
lockouts of token guessing, the rate limit, their pages and their audit."""

import hmac
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from users import services, tokens
from users.models import ApiToken, AuditEvent, UserSession

from .api import bearer_client, token_for
from .factories import SuperuserFactory, UserFactory, staff_with
from .mfa import enrol

pytestmark = pytest.mark.django_db


@pytest.fixture
def viewer():
    return staff_with("view_user")


def _get(token: str, **extra):
    client = Client(raise_request_exception=False)
    return client.get("/api/users", headers={"Authorization": token}, **extra)


def test_a_token_acts_as_its_owner(viewer):
    response = bearer_client(viewer).get("/api/users")
    assert response.status_code == 200
    # No session is started, recorded or sent.
    assert not response.cookies
    assert not UserSession.objects.exists()


def test_only_a_digest_is_stored(viewer):
    plaintext = token_for(viewer)
    token = ApiToken.objects.get(user=viewer)
    assert plaintext.startswith(f"noogh_{token.prefix}_")
    assert token.digest == tokens.digest_of(plaintext)
    assert plaintext not in str(ApiToken.objects.values().get())
    created = AuditEvent.objects.get(action="token_create")
    assert created.actor_id == viewer.pk and plaintext not in str(created.changes)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer noogh_abcdefgh_" + "x" * 43,  # well formed, unknown
        "Bearer " + "x" * 60,  # no prefix
        "Bearer noogh_" + "x" * 5000,
        "Bearer noogh_ABCDEFGH_" + "x" * 43,
        "Bearer noogh_abcdefgh_\u00e9" + "x" * 43,
    ],
)
def test_missing_or_invalid_tokens_are_401_with_a_bearer_challenge(header):
    client = Client(raise_request_exception=False)
    headers = {"Authorization": header} if header is not None else {}
    response = client.get("/api/users", headers=headers)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="noogh"')
    assert "detail" in response.json()


def test_a_wrong_secret_with_a_real_prefix_is_401(viewer):
    plaintext = token_for(viewer)
    forged = plaintext[:-4] + ("AAAA" if not plaintext.endswith("AAAA") else "BBBB")
    assert _get(f"Bearer {forged}").status_code == 401
    assert _get(f"Bearer {plaintext}").status_code == 200
    assert _get(f"bearer   {plaintext}  ").status_code == 200  # scheme ignores case


def test_expired_revoked_and_ended_tokens_are_refused(viewer):
    expired, revoked, ended = (token_for(viewer, name=n) for n in "abc")
    ApiToken.objects.filter(name="a").update(expires_at=timezone.now())
    services.token_revoke(actor=viewer, token=ApiToken.objects.get(name="b"))
    for plaintext in (expired, revoked):
        assert _get(f"Bearer {plaintext}").status_code == 401
    assert _get(f"Bearer {ended}").status_code == 200
    services.user_end_sessions(actor=viewer, user=viewer)  # "sign out everywhere"
    assert _get(f"Bearer {ended}").status_code == 401


def test_an_owner_who_lost_access_cannot_use_their_token(viewer):
    plaintext = token_for(viewer)
    viewer.user_permissions.clear()
    assert _get(f"Bearer {plaintext}").status_code == 401
    other = staff_with("view_user")
    other_token = token_for(other)
    services.user_deactivate(actor=SuperuserFactory(), user=other)
    services.user_activate(actor=SuperuserFactory(), user=other)
    # Deactivation ended its sessions, and its tokens with them, for good.
    assert _get(f"Bearer {other_token}").status_code == 401


def test_comparison_is_constant_time_even_for_an_unknown_prefix(viewer):
    plaintext = token_for(viewer)
    with mock.patch.object(hmac, "compare_digest", wraps=hmac.compare_digest) as spy:
        assert tokens.find_live_token("noogh_zzzzzzzz_" + "x" * 43) is None
        assert tokens.find_live_token(plaintext[:-1] + "#") is None
        assert tokens.find_live_token(plaintext) is not None
    assert spy.call_count == 3


def test_token_guessing_from_one_address_is_locked_out(settings, viewer):
    valid = token_for(viewer)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _get("Bearer noogh_abcdefgh_" + "x" * 43).status_code == 401
    locked = _get("Bearer noogh_abcdefgh_" + "y" * 43)
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json; charset=utf-8"
    assert int(locked["Retry-After"]) > 0
    # Even a valid token from that address waits (no oracle for guesses).
    assert _get(f"Bearer {valid}").status_code == 429
    other_address = _get(f"Bearer {valid}", REMOTE_ADDR="198.51.100.7")
    assert other_address.status_code == 200


def test_tokens_are_rate_limited(settings, viewer):
    settings.API_TOKEN_RATE_LIMIT = 3
    client = bearer_client(viewer)
    assert [client.get("/api/users").status_code for _ in range(3)] == [200] * 3
    limited = client.get("/api/users")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert bearer_client(viewer).get("/api/users").status_code == 200  # per token


def test_use_is_recorded_once_a_day_and_last_used_once_a_minute(viewer):
    client = bearer_client(viewer)
    token = ApiToken.objects.get(user=viewer)
    for _ in range(3):
        client.get("/api/users")
    token.refresh_from_db()
    assert token.last_used_at is not None
    assert AuditEvent.objects.filter(action="token_use").count() == 1
    yesterday = timezone.now() - timedelta(days=1)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=yesterday)
    client.get("/api/users")
    assert AuditEvent.objects.filter(action="token_use").count() == 2


def test_a_token_request_defaults_the_actor_to_the_token_owner(rf, viewer):
    """A service called without actor= during a token request acts as the
    token's owner, never as the system."""
    from django.contrib.auth.models import AnonymousUser

    from users.audit.context import RequestContextMiddleware, current_actor

    request = rf.get("/api/users")
    request.user, request.token_owner = AnonymousUser(), viewer
    seen = []
    RequestContextMiddleware(lambda r: seen.append(current_actor()))(request)
    assert seen == [viewer]


def test_writes_through_a_token_are_audited_as_its_owner():
    root = SuperuserFactory()
    target = UserFactory()
    bearer_client(root).post(f"/api/users/{target.pk}/deactivate")
    event = AuditEvent.objects.get(action="deactivate")
    assert (event.actor_id, event.actor_label) == (root.pk, root.username)
    assert event.ip == "127.0.0.1"


# --- Making tokens ---------------------------------------------------------------


def test_only_staff_who_may_see_users_make_tokens():
    for account in (UserFactory(), staff_with(), staff_with("delete_user")):
        with pytest.raises(PermissionDenied):
            token_for(account)
    with pytest.raises(PermissionDenied):
        token_for(SuperuserFactory(is_active=False))


def test_making_a_token_needs_a_passed_second_factor_when_one_is_set_up(viewer):
    enrol(viewer)
    with pytest.raises(PermissionDenied, match="two-factor"):
        services.token_create(
            actor=viewer,
            name="x",
            lifetime=timedelta(days=1),
            enrolled=True,
            passed_second_factor=False,
        )


@pytest.mark.usefixtures("mfa_required")
def test_making_a_token_needs_a_second_factor_when_the_site_requires_one(viewer):
    with pytest.raises(PermissionDenied, match="two-factor"):
        services.token_create(
            actor=viewer,
            name="x",
            lifetime=timedelta(days=1),
            enrolled=False,
            passed_second_factor=False,
        )
    assert not ApiToken.objects.exists()


def test_a_token_lives_at_most_a_year(viewer):
    with pytest.raises(ValueError):
        token_for(viewer, days=400)


# --- The page ----------------------------------------------------------------------


def test_the_page_makes_a_token_and_shows_it_once(client, viewer):
    client.force_login(viewer)
    response = client.post(
        reverse("tokens:list"), {"name": "nightly sync", "lifetime": "30"}, follow=True
    )
    token = ApiToken.objects.get(user=viewer)
    shown = response.content.decode()
    assert "nightly sync" in shown and f"noogh_{token.prefix}_" in shown
    plaintext = shown.split(f"noogh_{token.prefix}_", 1)[1].split("<", 1)[0]
    assert tokens.digest_of(f"noogh_{token.prefix}_{plaintext}") == token.digest
    again = client.get(reverse("tokens:list")).content.decode()
    assert plaintext not in again and "nightly sync" in again
    assert (token.expires_at - token.created_at).days == 30


def test_the_page_refuses_bad_input(client, viewer):
    client.force_login(viewer)
    for data in ({"name": "", "lifetime": "30"}, {"name": "x", "lifetime": "9999"}):
        assert client.post(reverse("tokens:list"), data).status_code == 200
    assert not ApiToken.objects.exists()


def test_the_page_revokes_only_your_own_tokens(client, viewer):
    token_for(viewer)
    mine = ApiToken.objects.get(user=viewer)
    other = staff_with("view_user")
    token_for(other)
    theirs = ApiToken.objects.get(user=other)
    client.force_login(viewer)
    response = client.post(reverse("tokens:revoke", args=[theirs.pk]))
    assert response.status_code == 404
    client.post(reverse("tokens:revoke", args=[mine.pk]))
    mine.refresh_from_db(), theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None
    event = AuditEvent.objects.get(action="token_revoke")
    assert (event.actor_id, event.target_id) == (viewer.pk, viewer.pk)


def test_the_admin_revokes_tokens_under_the_hierarchy(client):
    changer = staff_with("view_user", "change_user")
    root = SuperuserFactory()
    token_for(root)
    token_for(staff_with("view_user"))
    client.force_login(changer)
    url = reverse("admin:users_apitoken_changelist")
    assert client.get(url).status_code == 200
    everyone = list(ApiToken.objects.values_list("pk", flat=True))
    client.post(url, {"action": "revoke_tokens", "_selected_action": everyone})
    assert not ApiToken.objects.filter(revoked_at__isnull=False).exists()
    below = ApiToken.objects.exclude(user=root).values_list("pk", flat=True)
    client.post(url, {"action": "revoke_tokens", "_selected_action": list(below)})
    assert ApiToken.objects.filter(revoked_at__isnull=False).count() == 1


def test_erasing_an_account_deletes_its_tokens(viewer):
    plaintext = token_for(viewer)
    services.user_erase(actor=SuperuserFactory(), user=viewer, basis="request")
    assert not ApiToken.objects.exists()
    assert _get(f"Bearer {plaintext}").status_code == 401
