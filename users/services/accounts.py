"""Writes to one account or a selection: create, change, grant, (de)activate,
set a password, delete. Each is atomic, locks its rows first (base.lock),
checks users.permissions on them, and records one audit event per account."""

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from .. import permissions
from ..audit import trail
from ..managers.streaming import streamed
from ..models import EDITABLE_FIELDS, AuditEvent, User
from .base import (
    FROM_REQUEST,
    end_sessions,
    ends_sessions,
    lock,
    resolve_actor,
    save,
)

Action = AuditEvent.Action


class StaleEdit(Exception):
    """The user changed since the editor loaded it; nothing was saved."""

    def __init__(self, current: User, events: list[AuditEvent]):
        super().__init__("This user was changed by someone else meanwhile.")
        self.current = current
        self.events = events


def _refuse_unknown(fields, verb: str) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"{verb}() got unknown fields {', '.join(sorted(unknown))}")


@transaction.atomic
def user_create(
    *,
    actor=FROM_REQUEST,
    password: str | None = None,
    user: User | None = None,
    **fields,
) -> User:
    """Create a user; without a password the account cannot log in until one is set.

    `user` may be an unsaved instance a ModelForm built (the admin's add form);
    `fields` are set on it first.
    """
    _refuse_unknown(fields, "user_create")
    _, actor = lock(None, resolve_actor(actor))
    user = user or User()
    for field, value in fields.items():
        setattr(user, field, value)
    permissions.check_create(
        actor, {name: getattr(user, name) for name in EDITABLE_FIELDS}
    )
    user.set_password(password)
    save(user)
    created = {
        name: [None, trail.as_json(getattr(user, name))]
        for name in sorted(EDITABLE_FIELDS)
    }
    trail.record(Action.CREATE, user, created, actor=actor)
    return user


@transaction.atomic
def user_update(
    *,
    actor=FROM_REQUEST,
    user: User,
    expected_version: datetime | None = None,
    **changes: Any,
) -> User:
    """Change a user's fields.

    expected_version is the updated_at the editor's form was built from: when
    the stored user has moved on since, StaleEdit is raised (with the events in
    between) instead of overwriting someone else's change.
    """
    _refuse_unknown(changes, "user_update")
    may_lose_a_superuser = changes.get("is_active") is False or (
        changes.get("is_superuser") is False
    )
    stored, actor = lock(
        user, resolve_actor(actor), with_active_superusers=may_lose_a_superuser
    )
    if expected_version is not None and stored.updated_at != expected_version:
        events = AuditEvent.objects.about(stored, after=expected_version)
        raise StaleEdit(stored, list(reversed(events)))
    permissions.check_change(actor, stored, changes)
    diff = trail.diff(stored, changes)
    losing_access = ends_sessions(stored, changes)
    for field, value in changes.items():
        setattr(stored, field, value)
    save(stored)
    if diff:
        trail.record(Action.UPDATE, stored, diff, actor=actor)
    if losing_access:
        end_sessions(stored)
    return stored


@transaction.atomic
def user_set_groups_and_permissions(
    *, actor=FROM_REQUEST, user: User, groups=None, user_permissions=None
) -> None:
    """Replace a user's groups and/or direct permissions (None: unchanged);
    the actor gives only what it holds (permissions.check_grant)."""
    given = {"groups": groups, "user_permissions": user_permissions}
    given = {name: value for name, value in given.items() if value is not None}
    stored, actor = lock(user, resolve_actor(actor))
    permissions.check_grant(actor, stored, **given)
    changes, removed = {}, False
    for name, value in given.items():
        before = {str(item) for item in getattr(stored, name).all()}
        getattr(stored, name).set(value)
        after = {str(item) for item in getattr(stored, name).all()}
        if before != after:
            changes[name] = [sorted(before), sorted(after)]
            removed = removed or bool(before - after)
    if changes:
        # A new version, so an editor's form drawn before this grant is stale.
        stored.save(update_fields=["updated_at"])
        trail.record(Action.GRANT, stored, changes, actor=actor)
    if removed:
        end_sessions(stored)


def _set_active(actor, user: User, active: bool) -> User:
    stored, actor = lock(user, resolve_actor(actor), with_active_superusers=not active)
    if stored.is_active != active:
        check = permissions.check_activate if active else permissions.check_deactivate
        check(actor, stored)
        stored.is_active = active
        stored.save(update_fields=["is_active", "updated_at"])
        action = Action.ACTIVATE if active else Action.DEACTIVATE
        trail.record(action, stored, {"is_active": [not active, active]}, actor=actor)
        if not active:
            end_sessions(stored)
    user.is_active, user.updated_at = stored.is_active, stored.updated_at
    return user


@transaction.atomic
def user_activate(*, actor=FROM_REQUEST, user: User) -> User:
    """Let the user log in again; activating an active user changes nothing."""
    return _set_active(actor, user, True)


@transaction.atomic
def user_deactivate(*, actor=FROM_REQUEST, user: User) -> User:
    """Stop the user logging in (and end their sessions), keeping the account."""
    return _set_active(actor, user, False)


@transaction.atomic
def users_set_active(*, actor=FROM_REQUEST, users: QuerySet, active: bool) -> int:
    """(De)activate a queryset of users in one UPDATE; return how many changed.

    All or nothing: one account the actor may not change refuses the lot.
    """
    changing = users.exclude(is_active=active)
    _, actor = lock(
        None, resolve_actor(actor), matching=changing, with_active_superusers=not active
    )
    changing = User.objects.filter(pk__in=changing.order_by().values("pk"))
    if active:
        permissions.check_activate_all(actor, changing)
    else:
        permissions.check_deactivate_all(actor, changing)
    targets = list(changing.values_list("pk", "username"))
    now = timezone.now()
    ending = {"session_epoch": F("session_epoch") + 1} if not active else {}
    changed = changing.update(is_active=active, updated_at=now, **ending)
    action = Action.ACTIVATE if active else Action.DEACTIVATE
    trail.record_many(
        trail.event(
            action,
            User(pk=pk, username=name),
            {"is_active": [not active, active]},
            actor=actor,
            at=now,
        )
        for pk, name in targets
    )
    return changed


@transaction.atomic
def user_set_password(*, actor=FROM_REQUEST, user: User, password: str | None) -> User:
    """Set a new password, or make it unusable when password is None.

    Every session of the account ends; a person changing their own password
    keeps theirs through update_session_auth_hash in the view.
    """
    stored, actor = lock(user, resolve_actor(actor))
    permissions.check_set_password(actor, stored)
    return _store_password(actor, user, stored, password)


@transaction.atomic
def user_change_own_password(*, actor=FROM_REQUEST, password: str) -> User:
    """The actor sets their own password (the admin's "Change password"),
    audited and ending their other sessions like any password change."""
    me = resolve_actor(actor)
    stored, actor = lock(me, me)
    permissions.check_change_own_password(actor, stored)
    return _store_password(actor, me, stored, password)


def _store_password(actor, user: User, stored: User, password: str | None) -> User:
    stored.set_password(password)
    stored.session_epoch += 1
    stored.save(update_fields=["password", "session_epoch", "updated_at"])
    # Never the hash: only whether the account can log in with a password.
    change = "set" if password else "made unusable"
    trail.record(Action.PASSWORD, stored, {"password": [None, change]}, actor=actor)
    user.password, user.session_epoch = stored.password, stored.session_epoch
    user.updated_at = stored.updated_at
    return user


@transaction.atomic
def user_delete(*, actor=FROM_REQUEST, user: User) -> None:
    """Delete the account (UserGone if someone else already did)."""
    stored, actor = lock(user, resolve_actor(actor), with_active_superusers=True)
    permissions.check_delete(actor, stored)
    trail.record(Action.DELETE, stored, actor=actor)
    stored.delete()


def users_export(
    users: QuerySet,
    *,
    fields: Iterable[str],
    ordering: str,
    actor=FROM_REQUEST,
    filters: str,
) -> Iterator[tuple]:
    """Stream fields of users in ordering, for a download; records that actor
    exported the users matching filters (the list's query string)."""
    trail.record(Action.EXPORT, None, {"filters": filters}, actor=resolve_actor(actor))
    return streamed(users.sorted_by(ordering).values_list(*fields))
