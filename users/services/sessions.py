"""Signed-in sessions: ending one, all of an account's, or a selection's, and
the bookkeeping that lets them be listed (users.models.UserSession).

Ending is a judged write like any other: it locks the account and the actor,
checks users.permissions on those rows, records an audit event and a line on
the security log. "All" raises the account's session epoch (base.end_sessions),
which also ends sessions signed in before they were recorded here; the
recorded ones are deleted from the session store too, so they are gone rather
than merely refused.

The bookkeeping (session_started, session_seen, session_rekeyed,
session_forgotten) only follows what a session's own request already did -
signing in, coming back, signing out - so it takes no actor and judges nothing.
"""

from datetime import datetime, timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .. import permissions
from ..audit import trail
from ..audit.context import client_ip
from ..audit.security_log import log_security_event
from ..models import AuditEvent, User, UserSession
from .base import FROM_REQUEST, end_sessions, end_sessions_of, lock, resolve_actor

Action = AuditEvent.Action
USER_AGENT_KEPT = UserSession._meta.get_field("user_agent").max_length
# A record's last seen and expiry are refreshed at most this often (a page
# view does not write), so its expiry may trail the session's by as much.
SEEN_EVERY = timedelta(seconds=60)


def _delete_from_store(keys) -> None:
    """Remove sessions from Django's session store (SESSION_ENGINE): the next
    request bearing one of these cookies arrives signed out."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for key in keys:
        store().delete(key)


def _security_log(event: str, target_label: str, actor: User | None, **extra):
    log_security_event(
        event,
        user=target_label,
        ip=client_ip(),
        by=actor.get_username() if actor else trail.SYSTEM_LABEL,
        **extra,
    )


@transaction.atomic
def session_end(*, actor=FROM_REQUEST, session: UserSession) -> bool:
    """End one session; False if it had already ended (nothing to do)."""
    stored_user, actor = lock(User(pk=session.user_id), resolve_actor(actor))
    permissions.check_end_sessions(actor, stored_user)
    record = UserSession.objects.filter(pk=session.pk, user=stored_user).first()
    if record is None:
        return False
    _delete_from_store([record.session_key])
    record.delete()
    described = str(record)
    trail.record(
        Action.END_SESSION, stored_user, {"session": [described, "ended"]}, actor=actor
    )
    _security_log(
        "session_ended", stored_user.get_username(), actor, session=session.pk
    )
    return True


@transaction.atomic
def user_end_sessions(*, actor=FROM_REQUEST, user: User) -> int:
    """End every session of user ("sign out everywhere"), the actor's own
    included when user is the actor; returns how many were listed."""
    stored, actor = lock(user, resolve_actor(actor))
    permissions.check_end_sessions(actor, stored)
    listed = UserSession.objects.live_of(stored).count()
    end_sessions(stored)
    records = UserSession.objects.filter(user=stored)
    _delete_from_store(records.values_list("session_key", flat=True))
    records.delete()
    trail.record(Action.END_SESSIONS, stored, {"sessions": [listed, 0]}, actor=actor)
    _security_log("sessions_ended", stored.get_username(), actor, count=listed)
    user.session_epoch = stored.session_epoch
    return listed


@transaction.atomic
def users_end_sessions(*, actor=FROM_REQUEST, users: QuerySet) -> int:
    """End every session of a selection (the admin's action), all or nothing;
    returns how many accounts."""
    _, actor = lock(None, resolve_actor(actor), matching=users)
    targets = User.objects.filter(pk__in=users.order_by().values("pk"))
    permissions.check_end_sessions_all(actor, targets)
    accounts = list(targets.values_list("pk", "username"))
    now = timezone.now()
    end_listed_sessions(actor, targets)
    trail.record_many(
        trail.event(
            Action.END_SESSIONS, User(pk=pk, username=name), actor=actor, at=now
        )
        for pk, name in accounts
    )
    return len(accounts)


def end_listed_sessions(actor: User | None, targets: QuerySet) -> None:
    """End every session of targets (already judged, inside the caller's
    transaction): their epochs, their records and stored sessions, a line each
    on the security log. The caller records the audit events."""
    end_sessions_of(targets)
    records = UserSession.objects.filter(user__in=targets)
    _delete_from_store(records.values_list("session_key", flat=True).iterator())
    records.delete()
    for name in targets.values_list("username", flat=True).iterator(2000):
        _security_log("sessions_ended", name, actor)


# --- bookkeeping: what a session's own request did -----------------------------


def session_started(
    *,
    user: User,
    session_key: str,
    expires_at: datetime,
    ip: str | None,
    user_agent: str,
    browser: str,
) -> UserSession:
    """Record a sign-in, and forget user's sessions that are over meanwhile
    (so the table holds about as many rows as there are live sessions). A
    record is kept a refresh interval past its expiry: the session it follows
    may have been refreshed since, and come back."""
    expired_before = timezone.now() - SEEN_EVERY
    UserSession.objects.over_for(user, expired_before=expired_before).delete()
    record, _ = UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "epoch": user.session_epoch,
            "expires_at": expires_at,
            "ip": ip,
            "user_agent": user_agent[:USER_AGENT_KEPT],
            "browser": browser,
        },
    )
    return record


def session_seen(
    *, record_id: int, expires_at: datetime, ip: str | None, now: datetime
) -> None:
    """The session came back: it was last seen now, from ip, and lasts longer."""
    UserSession.objects.filter(pk=record_id).update(
        last_seen_at=now, expires_at=expires_at, ip=ip
    )


def session_rekeyed(
    *, record_id: int, user: User, session_key: str, expires_at: datetime
) -> None:
    """The session got a new key and carries on under user's current epoch (its
    owner changed their own password and stayed signed in)."""
    UserSession.objects.filter(pk=record_id, user=user).update(
        session_key=session_key, epoch=user.session_epoch, expires_at=expires_at
    )


def session_forgotten(*, record_id: int) -> None:
    """The session ended by itself (signing out, or someone else signing in
    over it): its record goes."""
    UserSession.objects.filter(pk=record_id).delete()
