"""Attacks on second factors and session records, from the outside: each test is
a finding reproduced through the public surface (the test client, commands,
real threads on PostgreSQL), kept so that it stays fixed."""

import io
import re
from datetime import timedelta
from functools import partial

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from users import services
from users.models import AuditEvent, User, UserSession

from .factories import (
    PASSWORD,
    SuperuserFactory,
    UserFactory,
    allow_staff_login,
    staff_with,
)
from .markers import postgres_only
from .mfa import code_for, enrol, verified_client, wrong_code_for
from .test_mfa_signin import shown_secret
from .test_races import race
from .test_user_sessions import FIREFOX, SAFARI, listed, sign_in, signed_out

pytestmark = pytest.mark.django_db
LOGIN = reverse("login")
MINE = reverse("users:my_sessions")
SETUP, VERIFY = reverse("mfa:setup"), reverse("mfa:verify")
LIST = reverse("users:list")
NEW_PASSWORD = "n3w-Pass-8462-attack"


def password_events(user) -> list[tuple[str, str]]:
    return list(
        AuditEvent.objects.filter(
            target_id=user.pk, action=AuditEvent.Action.PASSWORD
        ).values_list("actor_label", "changes__password")
    )


# --- a NUL in a header at login (PostgreSQL) -------------------------------------
# django-axes writes the User-Agent and Accept headers into its tables; PostgreSQL
# text refuses NUL, so such a login answered 500 and its failure was never
# counted: unlimited password guesses, never locked out.


@pytest.mark.parametrize("header", ["HTTP_USER_AGENT", "HTTP_ACCEPT"])
def test_a_nul_in_a_header_does_not_escape_the_login_lockout(header):
    user = UserFactory()
    allow_staff_login(user)
    client = Client(raise_request_exception=False, **{header: "Mozilla/5.0\x00x"})
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = client.post(
            LOGIN, {"username": user.username, "password": f"wrong-{attempt}"}
        )
        assert response.status_code == 200, (attempt, response.status_code)
    last = client.post(LOGIN, {"username": user.username, "password": "wrong"})
    assert last.status_code == 429
    assert client.post(
        LOGIN, {"username": user.username, "password": PASSWORD}
    ).status_code == (429)


@pytest.mark.parametrize("header", ["HTTP_USER_AGENT", "HTTP_ACCEPT"])
def test_a_nul_in_a_header_signs_in_and_is_recorded(header):
    user = UserFactory()
    allow_staff_login(user)
    client = Client(raise_request_exception=False, **{header: "Mozilla/5.0\x00x"})
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert len(listed(client)) == 1


# --- behind the load balancer: TRUSTED_PROXY_COUNT ----------------------------
# The setting was read by django-ipware, which is not installed: django-axes
# silently used REMOTE_ADDR, the balancer's address, for everyone. Five wrong
# passwords from anywhere locked an account for every client; every session
# record and audit event named the balancer.

BALANCER = "10.0.0.2"


@pytest.fixture
def behind_one_proxy(settings):
    """As deployed per docs/deploy.md: one TLS-terminating balancer that
    appends the address it was reached from to X-Forwarded-For."""
    settings.TRUSTED_PROXY_COUNT = 1


def through_balancer(client_address: str, forged: str = "") -> dict:
    forwarded = f"{forged}, {client_address}" if forged else client_address
    return {"REMOTE_ADDR": BALANCER, "HTTP_X_FORWARDED_FOR": forwarded}


def test_behind_the_balancer_one_client_cannot_lock_out_another(behind_one_proxy):
    victim = UserFactory()
    allow_staff_login(victim)
    attacker = Client(**through_balancer("198.51.100.66"))
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        attacker.post(LOGIN, {"username": victim.username, "password": f"x{attempt}"})
    assert (
        attacker.post(LOGIN, {"username": victim.username, "password": PASSWORD})
    ).status_code == 429
    owner = Client(**through_balancer("203.0.113.10"))
    response = owner.post(LOGIN, {"username": victim.username, "password": PASSWORD})
    assert response.status_code == 302


def test_behind_the_balancer_records_name_the_client_not_a_forged_hop(
    behind_one_proxy,
):
    user = staff_with("view_user", "change_user")
    client = Client(**through_balancer("203.0.113.10", forged="6.6.6.6"))
    assert (
        client.post(
            LOGIN, {"username": user.username, "password": PASSWORD}
        ).status_code
        == 302
    )
    assert [row.ip for row in listed(client)] == ["203.0.113.10"]
    target = UserFactory()
    client.post(reverse("users:deactivate", args=[target.pk]))
    event = AuditEvent.objects.get(target_id=target.pk)
    assert event.ip == "203.0.113.10"


@pytest.mark.parametrize(
    "forwarded", ["not-an-address", "", "fe80::1%eth0", "1.2.3.4\x00", " , "]
)
def test_behind_the_balancer_a_broken_forwarded_for_falls_back(
    behind_one_proxy, forwarded
):
    user = UserFactory()
    allow_staff_login(user)
    client = Client(
        raise_request_exception=False,
        REMOTE_ADDR=BALANCER,
        HTTP_X_FORWARDED_FOR=forwarded,
    )
    response = client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert [row.ip for row in listed(client)] == [BALANCER]


def test_without_trusted_proxies_forwarded_for_is_ignored():
    user = UserFactory()
    allow_staff_login(user)
    client = Client(REMOTE_ADDR="203.0.113.10", HTTP_X_FORWARDED_FOR="6.6.6.6")
    client.post(LOGIN, {"username": user.username, "password": PASSWORD})
    assert [row.ip for row in listed(client)] == ["203.0.113.10"]


# --- the admin's own-password page -------------------------------------------------
# /admin/password_change/ is Django's view: it saved the password itself, past
# users.services: no audit event, and the sessions it ended stayed listed.


def test_the_admins_own_password_page_goes_through_the_services():
    SuperuserFactory()
    me = staff_with()  # staff status only: the admin lets any staff do this
    client = sign_in(me)
    other = sign_in(me, agent=SAFARI)
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.check_password(NEW_PASSWORD)
    assert password_events(me) == [(me.username, [None, "set"])]
    # The other session ended, and is no longer listed as if it were live.
    assert [row.browser for row in listed(client)] == ["Firefox 128 on Linux"]
    assert signed_out(other)
    assert client.get(reverse("admin:index")).status_code == 200


def test_the_admins_own_password_page_still_wants_the_old_password():
    me = staff_with()
    client = sign_in(me)
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": "not-it",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    me.refresh_from_db()
    assert me.check_password(PASSWORD)
    assert password_events(me) == []


# --- manage.py changepassword -----------------------------------------------------
# Django's command saved the password itself: no trace, and the ended sessions
# stayed listed.


def test_the_changepassword_command_is_audited_and_ends_sessions(monkeypatch):
    user = UserFactory()
    allow_staff_login(user)
    theirs = sign_in(user, agent=FIREFOX)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    call_command("changepassword", user.username, stdout=io.StringIO())
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert password_events(user) == [("system", [None, "set"])]
    assert not UserSession.objects.live_of(user).exists()
    assert signed_out(theirs)


def test_the_changepassword_command_refuses_an_unknown_user(monkeypatch):
    from django.core.management.base import CommandError

    monkeypatch.setattr("getpass.getpass", lambda prompt="": NEW_PASSWORD)
    with pytest.raises(CommandError, match="does not exist"):
        call_command("changepassword", "nobody-here")


# --- a second factor someone set up is always asked for -----------------------------
# The security page offers everyone a second factor ("it protects your account
# if your password leaks"), but the gate asked only staff, and only with
# MFA_REQUIRED: for anyone else the password alone still signed in.


def test_staff_who_set_up_a_second_factor_are_asked_when_it_is_optional(settings):
    settings.MFA_REQUIRED = False
    me = staff_with("view_user")
    device, _ = enrol(me)
    client = Client()
    client.post(LOGIN, {"username": me.username, "password": PASSWORD})
    assert client.get(LIST)["Location"].startswith(VERIFY)
    assert client.post(VERIFY, {"code": code_for(device)}).status_code == 302
    assert client.get(LIST).status_code == 200


def test_accounts_without_a_second_factor_are_not_asked_when_it_is_optional(
    settings,
):
    settings.MFA_REQUIRED = False
    client = Client()
    client.force_login(staff_with("view_user"))
    assert client.get(LIST).status_code == 200
    other = Client()
    other.force_login(UserFactory())
    assert other.get(MINE).status_code == 200


# --- wrong codes: the delay is bounded ---------------------------------------------
# Each wrong code doubled the delay without bound: someone holding only the
# password could, with a handful of requests spread over days, keep the owner's
# right codes refused for weeks, well after losing the password.

MAX_DELAY_SECONDS = 4096


def test_a_password_holders_wrong_codes_lock_the_owner_out_for_at_most_an_hour(
    mfa_required,
):
    root = SuperuserFactory()
    device, _ = enrol(root)
    attacker = Client()
    attacker.force_login(root)
    wrong = wrong_code_for(device)
    for _ in range(22):
        # A wrong code each time the last delay is over (as if time moved on).
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - timedelta(days=365 * 100)
        )
        assert attacker.post(VERIFY, {"code": wrong}).status_code == 200
    owner = Client()
    owner.force_login(root)
    response = owner.post(VERIFY, {"code": code_for(device)})
    assert response.status_code == 429
    wait = int(re.search(r"Wait (\d+) seconds", response.content.decode()).group(1))
    assert wait <= MAX_DELAY_SECONDS
    # Once that delay is over, the owner's code passes.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=timezone.now()
        - timedelta(seconds=MAX_DELAY_SECONDS)
    )
    assert owner.post(VERIFY, {"code": code_for(device)}).status_code == 302


# --- setting up a second factor: only while none, or after passing it ---------------
# Whether a session may change its account's factors was decided by the page
# before the service's transaction: two sessions of an account without factors
# (its owner, and someone with the password, after a reset) setting up at once
# both succeeded, and the later one silently replaced the other's app.


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_sessions_setting_up_at_once_only_one_gets_the_account(mfa_required):
    for _ in range(4):
        root = SuperuserFactory()
        clients = [Client(), Client()]
        keys = []
        for client in clients:
            client.force_login(root)
            keys.append(shown_secret(client.get(SETUP)))
        outcomes = race(
            *(
                partial(client.post, SETUP, {"code": code_for(key)})
                for client, key in zip(clients, keys, strict=True)
            )
        )
        enrolled = [
            o.status_code == 302
            and o["Location"].startswith(reverse("mfa:recovery_codes"))
            for o in outcomes
        ]
        assert enrolled.count(True) == 1, [
            (o.status_code, o.get("Location")) for o in outcomes
        ]
        winner = clients[enrolled.index(True)]
        assert TOTPDevice.objects.filter(user=root).count() == 1
        assert winner.get(LIST).status_code == 200
        loser = clients[enrolled.index(False)]
        assert loser.get(LIST)["Location"].startswith(VERIFY)
        User.objects.filter(pk=root.pk).delete()


def test_factors_change_only_from_a_session_that_passed_the_current_ones(
    mfa_required,
):
    """The rule the race above broke, on the service: an enrolled account's
    factors change only for a session that passed one of them."""
    root = SuperuserFactory()
    device, _ = enrol(root)
    key = default_key()
    with pytest.raises(PermissionDenied):
        services.mfa_enrol(actor=root, key=key, code=code_for(key))
    with pytest.raises(PermissionDenied):
        services.mfa_new_recovery_codes(actor=root)
    other = SuperuserFactory()
    with pytest.raises(PermissionDenied):  # someone else's factor
        services.mfa_new_recovery_codes(actor=other, passed=device)
    assert len(services.mfa_new_recovery_codes(actor=root, passed=device)) == 10
    new_device, _ = services.mfa_enrol(
        actor=root, key=key, code=code_for(key), passed=device
    )
    with pytest.raises(PermissionDenied):  # replaced since: passed no longer
        services.mfa_new_recovery_codes(actor=root, passed=device)
    assert services.mfa_new_recovery_codes(actor=root, passed=new_device)


# --- wrong codes at once: no oracle --------------------------------------------
# The page checked the delay before django-otp locked the device; a code that
# waited for the lock behind a wrong one was refused by django-otp's own delay,
# and the page, asking the app's algorithm why, answered "already used" for a
# right code never used: each burst of requests in flight tested as many codes
# for the price of one wrong one.


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_codes_sent_with_a_wrong_one_at_once_learn_nothing(mfa_required):
    told_used = []
    for _ in range(12):
        root = SuperuserFactory()
        device, _ = enrol(root)
        clients = [Client(), Client()]
        for client in clients:
            client.force_login(root)
        right, wrong = code_for(device), wrong_code_for(device)
        outcomes = race(
            partial(clients[0].post, VERIFY, {"code": wrong}),
            partial(clients[1].post, VERIFY, {"code": right}),
        )
        answer = outcomes[1]
        assert answer.status_code in (302, 429), answer.status_code
        told_used.append("already used" in answer.content.decode())
        User.objects.filter(pk=root.pk).delete()
    assert not any(told_used)


# --- what held: a verified session does not outlive a reset of its factors -------


def _reset_on_the_page(actor_client, target):
    actor_client.post(reverse("users:mfa_reset", args=[target.pk]))


def _reset_by_the_admin_action(actor_client, target):
    actor_client.post(
        reverse("admin:users_user_changelist"),
        {"action": "reset_mfa_selected", "_selected_action": [target.pk]},
    )


def _reset_by_the_command(actor_client, target):
    call_command("reset_mfa", target.username, stdout=io.StringIO())


@pytest.mark.parametrize(
    "reset", [_reset_on_the_page, _reset_by_the_admin_action, _reset_by_the_command]
)
def test_a_verified_session_ends_with_a_reset_of_its_factors(mfa_required, reset):
    target = staff_with("view_user")
    device, _ = enrol(target)
    theirs = verified_client(target, device)
    assert theirs.get(LIST).status_code == 200
    reset(verified_client(SuperuserFactory()), target)
    assert not TOTPDevice.objects.filter(user=target).exists()
    response = theirs.get(LIST)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)
    assert not UserSession.objects.live_of(target).exists()
