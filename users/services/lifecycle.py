"""Suspending an account, lifting a suspension, and setting when access ends.

Suspension is deactivation with a record (users.suspension.Suspension): why,
until when, by whom, and a message its holder reads at login. Each write
locks its rows (base.lock), checks users.permissions on them, and records one
audit event. The lifecycle run (services.policy) applies the end dates.
"""

from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from .. import permissions
from ..audit import trail
from ..models import AuditEvent, Suspension, User
from .base import FROM_REQUEST, end_sessions, lock, resolve_actor

Action = AuditEvent.Action
SUSPENSION_FIELDS = ("reason", "note", "until", "message")
IN_THE_PAST = "Choose a time in the future: this one has passed."
# No time zone is further from UTC; PostgreSQL refuses offsets past ±15:59.
LARGEST_UTC_OFFSET = timedelta(hours=14)
# Far enough for any contract or suspension, and far from year 10000, which a
# late moment with a western offset reaches in UTC (stored, it could not be
# read back).
FURTHEST_AHEAD = timedelta(days=100 * 365)


def check_end_date(when: datetime | None) -> None:
    """An end date (a suspension's, an account's access) that can be stored
    and read back: in the future, within a century, a real UTC offset."""
    if when is None:
        return
    offset = when.utcoffset()
    if offset is not None and abs(offset) > LARGEST_UTC_OFFSET:
        raise ValidationError(
            "The UTC offset must lie between -14:00 and +14:00.", code="offset"
        )
    if when <= timezone.now():
        raise ValidationError(IN_THE_PAST, code="past")
    if when > timezone.now() + FURTHEST_AHEAD:
        raise ValidationError("Choose a time within the next 100 years.", code="far")


def _in_the_future(field: str, when: datetime | None) -> None:
    try:
        check_end_date(when)
    except ValidationError as error:
        raise ValidationError({field: error}) from None


def _validated(user: User, fields: dict) -> Suspension:
    suspension = Suspension(user=user, **fields)
    suspension.by_label = "-"  # set by the caller; not the person's input
    suspension.full_clean(exclude=["user"])
    _in_the_future("until", suspension.until)
    return suspension


@transaction.atomic
def user_suspend(
    *,
    actor=FROM_REQUEST,
    user: User,
    reason: str,
    note: str = "",
    until: datetime | None = None,
    message: str = "",
) -> Suspension:
    """Suspend user: deactivate it (its sessions end) and store why; a
    suspended account's suspension is replaced. ValidationError names the
    field (an unknown reason, a text over 500 characters, an end in the past)."""
    fields = {"reason": reason, "note": note, "until": until, "message": message}
    _validated(user, fields)
    stored, actor = lock(user, resolve_actor(actor), with_active_superusers=True)
    permissions.check_suspend(actor, stored)
    before = Suspension.objects.filter(user=stored).first()
    changes = {
        name: [trail.as_json(getattr(before, name, None)), trail.as_json(value)]
        for name, value in fields.items()
        if getattr(before, name, None) != value
    }
    suspension = Suspension(user=stored, **fields)
    suspension.by_id = actor.pk if actor else None
    suspension.by_label = actor.get_username() if actor else trail.SYSTEM_LABEL
    suspension.save()
    if stored.is_active:
        stored.is_active = False
        stored.save(update_fields=["is_active", "updated_at"])
        changes["is_active"] = [True, False]
        end_sessions(stored)
    trail.record(Action.SUSPEND, stored, changes, actor=actor)
    user.is_active, user.updated_at = stored.is_active, stored.updated_at
    return suspension


@transaction.atomic
def user_lift_suspension(*, actor=FROM_REQUEST, user: User) -> User:
    """End user's suspension now and reactivate the account."""
    stored, actor = lock(user, resolve_actor(actor))
    permissions.check_lift_suspension(actor, stored)
    lift(stored, actor=actor)
    user.is_active, user.updated_at = stored.is_active, stored.updated_at
    return user


def lift(stored: User, *, actor: User | None, actor_label: str | None = None):
    """Delete the suspension of a locked account, reactivate it, record it."""
    suspension = Suspension.objects.get(user=stored)
    suspension.delete()
    changes = {"reason": [suspension.reason, None]}
    if suspension.until:
        changes["until"] = [trail.as_json(suspension.until), None]
    if not stored.is_active:
        stored.is_active = True
        stored.save(update_fields=["is_active", "updated_at"])
        changes["is_active"] = [False, True]
    trail.record(Action.LIFT, stored, changes, actor=actor, actor_label=actor_label)


@transaction.atomic
def user_set_active_until(
    *, actor=FROM_REQUEST, user: User, active_until: datetime | None
) -> User:
    """Set (or clear, with None) when user's access ends; the lifecycle run
    deactivates the account then. The time must be in the future."""
    _in_the_future("active_until", active_until)
    stored, actor = lock(user, resolve_actor(actor))
    permissions.check_set_active_until(actor, stored)
    if stored.active_until != active_until:
        old = stored.active_until
        stored.active_until = active_until
        stored.save(update_fields=["active_until", "updated_at"])
        change = [trail.as_json(old), trail.as_json(active_until)]
        trail.record(Action.ACTIVE_UNTIL, stored, {"active_until": change}, actor=actor)
    user.active_until, user.updated_at = stored.active_until, stored.updated_at
    return user
