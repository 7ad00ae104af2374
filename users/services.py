"""Every write to users goes through here: admin, HTML views and commands alike.

`actor` is the staff member acting (None: the system, e.g. an operator's
command); the rules in users.permissions are checked inside each transaction.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import bulk, permissions
from .audit import client_ip
from .models import DUPLICATE_MESSAGES, AuditEvent, User

Action = AuditEvent.Action

EDITABLE_FIELDS = frozenset(
    {"email", "username", "full_name", "is_active", "is_staff", "is_superuser"}
)


class StaleEdit(Exception):
    """The user changed since the editor loaded it; nothing was saved."""

    def __init__(self, current: User, events: list[AuditEvent]):
        super().__init__("This user was changed by someone else meanwhile.")
        self.current = current
        self.events = events


def _event(actor: User | None, action: str, target: User | None, changes=None):
    return AuditEvent(
        action=action,
        actor_id=actor.pk if actor else None,
        actor_label=actor.username if actor else "system",
        target_id=target.pk if target else None,
        target_label=target.username if target else "",
        ip=client_ip(),
        changes=changes or {},
    )


def _audit(actor: User | None, action: str, target: User | None, changes=None):
    _event(actor, action, target, changes).save()


def _json(value: Any) -> Any:
    return value if isinstance(value, bool | int | str | None) else str(value)


def _diff(before: User, after: dict[str, Any]) -> dict[str, list]:
    """{field: [old, new]} for the fields whose value changes."""
    return {
        name: [_json(getattr(before, name)), _json(value)]
        for name, value in after.items()
        if getattr(before, name) != value
    }


def _save(user: User) -> None:
    """Validate and save; a duplicate that raced past validation is a field error."""
    user.full_clean()
    try:
        # A savepoint, so the caller's transaction survives the IntegrityError.
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        fields = User.objects.duplicated_fields(user)
        if not fields:
            raise
        raise ValidationError(
            {
                field: ValidationError(DUPLICATE_MESSAGES[field], code="unique")
                for field in fields
            }
        ) from error


def _locked(user: User) -> User:
    """The stored row, locked: rules are checked against it, not a form's copy."""
    return User.objects.select_for_update().get(pk=user.pk)


@transaction.atomic
def user_create(
    *,
    actor: User | None = None,
    password: str | None = None,
    user: User | None = None,
    **fields: Any,
) -> User:
    """Create a user; without a password the account cannot log in until one is set.

    `user` may be an unsaved instance a ModelForm built (the admin's add form);
    `fields` are set on it first.
    """
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(
            f"user_create() got unknown fields {', '.join(sorted(unknown))}"
        )
    user = user or User()
    for field, value in fields.items():
        setattr(user, field, value)
    permissions.check_create(
        actor, {name: getattr(user, name) for name in EDITABLE_FIELDS}
    )
    user.set_password(password)
    _save(user)
    fields = {name: _json(getattr(user, name)) for name in sorted(EDITABLE_FIELDS)}
    _audit(actor, Action.CREATE, user, {k: [None, v] for k, v in fields.items()})
    return user


@transaction.atomic
def user_update(
    *,
    actor: User | None = None,
    user: User,
    expected_version: datetime | None = None,
    **changes: Any,
) -> User:
    """Change a user's fields.

    expected_version is the updated_at the editor's form was built from: when
    the stored user has moved on since, StaleEdit is raised (with the events in
    between) instead of overwriting someone else's change.
    """
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"user_update() cannot change {', '.join(sorted(unknown))}")
    stored = _locked(user)
    if expected_version is not None and stored.updated_at != expected_version:
        raise StaleEdit(
            stored, list(AuditEvent.objects.about(stored, after=expected_version))
        )
    permissions.check_change(actor, stored, changes)
    diff = _diff(stored, changes)
    for field, value in changes.items():
        setattr(stored, field, value)
    _save(stored)
    if diff:
        _audit(actor, Action.UPDATE, stored, diff)
    return stored


@transaction.atomic
def user_set_groups_and_permissions(
    *, actor: User | None = None, user: User, groups=None, user_permissions=None
) -> None:
    """Replace a user's groups and/or direct permissions (superusers only)."""
    given = {"groups": groups, "user_permissions": user_permissions}
    given = {name: value for name, value in given.items() if value is not None}
    permissions.check_grant(actor, _locked(user), given)
    changes = {}
    for name, value in given.items():
        before = sorted(str(item) for item in getattr(user, name).all())
        getattr(user, name).set(value)
        after = sorted(str(item) for item in getattr(user, name).all())
        if before != after:
            changes[name] = [before, after]
    if changes:
        _audit(actor, Action.GRANT, user, changes)


def _set_active(actor: User | None, user: User, active: bool) -> User:
    stored = _locked(user)
    if stored.is_active != active:
        if not active:
            permissions.check_deactivate(actor, stored)
        else:
            permissions.check_change(actor, stored, {"is_active": True})
        stored.is_active = active
        stored.save(update_fields=["is_active", "updated_at"])
        action = Action.ACTIVATE if active else Action.DEACTIVATE
        _audit(actor, action, stored, {"is_active": [not active, active]})
    user.is_active, user.updated_at = stored.is_active, stored.updated_at
    return user


@transaction.atomic
def user_activate(*, actor: User | None = None, user: User) -> User:
    """Let the user log in again; activating an active user changes nothing."""
    return _set_active(actor, user, True)


@transaction.atomic
def user_deactivate(*, actor: User | None = None, user: User) -> User:
    """Stop the user logging in, keeping the account; idempotent."""
    return _set_active(actor, user, False)


@transaction.atomic
def users_set_active(
    *, actor: User | None = None, users: QuerySet, active: bool
) -> int:
    """(De)activate a queryset of users in one UPDATE; return how many changed."""
    changing = users.exclude(is_active=active).select_for_update()
    if active:
        for target in changing.superusers():
            permissions.check_change(actor, target, {"is_active": True})
    else:
        permissions.check_deactivate_many(actor, changing.superusers_or_self(actor))
    targets = list(changing.values_list("pk", "username"))  # also locks them
    changed = changing.update(is_active=active, updated_at=timezone.now())
    action = Action.ACTIVATE if active else Action.DEACTIVATE
    AuditEvent.objects.bulk_create(
        _event(
            actor,
            action,
            User(pk=pk, username=name),
            {"is_active": [not active, active]},
        )
        for pk, name in targets
    )
    return changed


@transaction.atomic
def user_set_password(
    *, actor: User | None = None, user: User, password: str | None
) -> User:
    """Set a new password, or make it unusable when password is None."""
    permissions.check_set_password(actor, _locked(user))
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    # Never the hash: only whether the account can log in with a password.
    change = "set" if password else "made unusable"
    _audit(actor, Action.PASSWORD, user, {"password": [None, change]})
    return user


@transaction.atomic
def user_delete(*, actor: User | None = None, user: User) -> None:
    permissions.check_delete(actor, _locked(user))
    _audit(actor, Action.DELETE, user)
    user.delete()


def users_exported(*, actor: User | None, filters: str) -> None:
    """Record that actor downloaded the users matching filters (a query string)."""
    _audit(actor, Action.EXPORT, None, {"filters": filters})


@transaction.atomic
def users_import(
    rows: Iterable[tuple],
    *,
    actor: User | None = None,
    on_conflict: str = "skip",
    dry_run: bool = False,
    on_rejection: Callable[[bulk.Rejection], None] | None = None,
) -> bulk.MergeResult:
    """Load validated rows (shaped like bulk.STAGED_COLUMNS) in one transaction.

    Rows repeating an earlier row's email or username (ignoring case) are
    rejected; rows clashing with stored users are skipped, update them, or -
    with on_conflict="fail" - abort the whole load (ImportConflict). Each
    rejected row is passed to on_rejection, in line order.
    """
    if on_conflict not in bulk.CONFLICT_MODES:
        raise ValueError(f"on_conflict must be one of {', '.join(bulk.CONFLICT_MODES)}")
    with bulk.Staging() as staging:
        staging.add(rows)
        rejected = staging.reject_duplicates_within()
        conflicts = staging.reject_conflicts_with_existing(on_conflict)
        for rejection in staging.rejections() if on_rejection else ():
            on_rejection(rejection)
        if conflicts and on_conflict == "fail":
            raise ImportConflict(conflicts)
        result = staging.merge(on_conflict)
    result.rejected = rejected + conflicts
    _audit(
        actor,
        Action.IMPORT,
        None,
        {
            "created": result.inserted,
            "updated": result.updated,
            "skipped": result.skipped,
            "rejected": result.rejected,
        },
    )
    if dry_run:
        transaction.set_rollback(True)
    else:
        transaction.on_commit(bulk.analyze_users)
    return result


class ImportConflict(Exception):
    """on_conflict="fail" met rows that clash with stored users; nothing was written."""

    def __init__(self, count: int):
        super().__init__(f"{count} row(s) clash with existing users")
        self.count = count
