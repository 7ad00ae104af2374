"""Writes to second factors: setting up one's authenticator app, new recovery
codes, and resetting other accounts' factors. Each is atomic, locks the
account rows first (base.lock), checks users.permissions on them and records
an audit event; secrets and codes never enter the trail.

Passing a second factor at login is not here: like the password check, it is
sign-in bookkeeping (django-otp moves the device's counters), done by
users.signin.mfa through django-otp.
"""

import time

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import factors, permissions
from ..audit import trail
from ..models import AuditEvent, User
from .base import FROM_REQUEST, end_sessions, end_sessions_of, lock, resolve_actor

Action = AuditEvent.Action
RECOVERY_CODE_COUNT = 10


@transaction.atomic
def mfa_enrol(
    *, actor=FROM_REQUEST, key: str, code: str, passed=None
) -> tuple[TOTPDevice, list[str]] | None:
    """Make the authenticator app holding `key` the actor's second factor, once
    `code` shows the app works; returns the device and new recovery codes, or
    None when the code does not match. Any earlier factors are replaced, and
    only by a session that passed one of them: `passed` is the device this
    session passed (request.user.otp_device), judged here on the locked row,
    so that of two sessions setting up at once the second does not silently
    replace the first's app."""
    _, actor = lock(None, resolve_actor(actor))
    _check_own_factors(actor, passed)
    device = factors.unsaved_authenticator(actor, key)
    try:
        device.full_clean(exclude=["user"])
    except ValidationError:
        return None  # not a key this site made (the session's is hex)
    step = _matching_step(device, code)
    if step is None:
        return None
    before = factors.status(actor)
    delete_devices(User.objects.filter(pk=actor.pk))
    # The code that proved the app cannot be used again to sign in.
    device.last_t, device.confirmed = step, True
    device.save()
    codes = _new_recovery_codes(
        StaticDevice.objects.create(user=actor, name=factors.RECOVERY_NAME)
    )
    changes = {
        "two-factor": [_state(before), "enrolled"],
        "recovery codes": [before.recovery_codes_left, len(codes)],
    }
    trail.record(Action.MFA_ENROL, actor, changes, actor=actor)
    return device, codes


@transaction.atomic
def mfa_new_recovery_codes(*, actor=FROM_REQUEST, passed=None) -> list[str]:
    """Replace the actor's recovery codes with new ones (the old stop working),
    for a session that passed one of its current factors (`passed`)."""
    _, actor = lock(None, resolve_actor(actor))
    _check_own_factors(actor, passed)
    device = factors.recovery_device(actor)
    if device is None or not factors.is_enrolled(actor):
        raise PermissionDenied("Set up two-factor authentication first.")
    left = device.token_set.count()
    codes = _new_recovery_codes(device)
    changes = {"recovery codes": [left, len(codes)]}
    trail.record(Action.MFA_CODES, actor, changes, actor=actor)
    return codes


@transaction.atomic
def user_reset_mfa(*, actor=FROM_REQUEST, user: User) -> bool:
    """Remove another account's second factors: it sets up new ones at its next
    login, and its sessions end now. False if it had none (nothing changes)."""
    stored, actor = lock(user, resolve_actor(actor))
    permissions.check_reset_mfa(actor, stored)
    before = factors.status(stored)
    if not delete_devices(User.objects.filter(pk=stored.pk)):
        return False
    changes = {
        "two-factor": [_state(before), "not enrolled"],
        "recovery codes": [before.recovery_codes_left, 0],
    }
    trail.record(Action.MFA_RESET, stored, changes, actor=actor)
    end_sessions(stored)
    return True


@transaction.atomic
def users_reset_mfa(*, actor=FROM_REQUEST, users: QuerySet) -> int:
    """user_reset_mfa for a selection, in a few statements; returns how many
    accounts had factors. All or nothing: one account above the actor refuses
    the lot."""
    having = factors.having_factors(users)
    _, actor = lock(None, resolve_actor(actor), matching=having)
    having = User.objects.filter(pk__in=having.order_by().values("pk"))
    permissions.check_reset_mfa_all(actor, having)
    targets = list(having.values_list("pk", "username"))
    if not targets:
        return 0
    delete_devices(having)
    change = {"two-factor": ["enrolled", "not enrolled"]}
    trail.record_many(
        trail.event(Action.MFA_RESET, User(pk=pk, username=name), change, actor=actor)
        for pk, name in targets
    )
    end_sessions_of(User.objects.filter(pk__in=[pk for pk, _ in targets]))
    return len(targets)


def _check_own_factors(actor: User | None, passed) -> None:
    if actor is None:
        permissions.check_own_factors(actor)
        return
    permissions.check_own_factors(
        actor,
        enrolled=factors.is_enrolled(actor),
        passed=factors.is_current(actor, passed),
    )


def _state(status: factors.Status) -> str:
    return "enrolled" if status.enrolled else "not enrolled"


def _matching_step(device: TOTPDevice, code: str) -> int | None:
    """The time step at which code matches device (within its tolerance),
    through django-otp's TOTP, saving nothing: the device does not exist yet."""
    if not (code.isascii() and code.isdigit() and len(code) == device.digits):
        return None
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    if not totp.verify(int(code), device.tolerance):
        return None
    device.drift = totp.drift
    return totp.t()


def _new_recovery_codes(device: StaticDevice) -> list[str]:
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=code) for code in codes
    )
    return codes


def delete_devices(users: QuerySet) -> int:
    """Delete every device of users; returns how many there were."""
    return sum(
        devices.delete()[1].get(devices.model._meta.label, 0)
        for devices in factors.devices_of(users)
    )


# Wrong codes in a row slow the next try down 1, 2, 4 ... seconds (django-otp,
# per device); counted up to this many, so the delay stops doubling at 2**12 s
# (68 minutes). Unbounded, someone holding only the password could, with a
# request now and then, keep the owner's right codes refused for weeks - and
# for as long again after losing the password. Capped, a guesser gets one try
# every 68 minutes: about a 2% chance a year against a 6-digit code (3 are
# accepted at a time), each try a warning on the security log.
MAX_FAILURES_COUNTED = 13


def mfa_cap_failures(device) -> None:
    """Count at most MAX_FAILURES_COUNTED wrong codes in a row on device (one
    UPDATE, on the row only if over; django-otp counted the last one)."""
    type(device).objects.filter(
        pk=device.pk, throttling_failure_count__gt=MAX_FAILURES_COUNTED
    ).update(throttling_failure_count=MAX_FAILURES_COUNTED)
    device.throttling_failure_count = min(
        device.throttling_failure_count, MAX_FAILURES_COUNTED
    )
