"""Every write to users goes through here: admin, HTML views and commands alike.

`actor` is the staff member acting (None: the system, e.g. an operator's
command); the rules in users.permissions are checked inside each transaction.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from . import bulk, permissions
from .models import DUPLICATE_MESSAGES, User

EDITABLE_FIELDS = frozenset(
    {"email", "username", "full_name", "is_active", "is_staff", "is_superuser"}
)


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
    return user


@transaction.atomic
def user_update(*, actor: User | None = None, user: User, **changes: Any) -> User:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"user_update() cannot change {', '.join(sorted(unknown))}")
    stored = _locked(user)
    permissions.check_change(actor, stored, changes)
    for field, value in changes.items():
        setattr(stored, field, value)
    _save(stored)
    return stored


@transaction.atomic
def user_set_groups_and_permissions(
    *, actor: User | None = None, user: User, groups=None, user_permissions=None
) -> None:
    """Replace a user's groups and/or direct permissions (superusers only)."""
    given = {"groups": groups, "user_permissions": user_permissions}
    given = {name: value for name, value in given.items() if value is not None}
    permissions.check_grant(actor, _locked(user), given)
    for name, value in given.items():
        getattr(user, name).set(value)


def _set_active(actor: User | None, user: User, active: bool) -> User:
    stored = _locked(user)
    if stored.is_active != active:
        if not active:
            permissions.check_deactivate(actor, stored)
        else:
            permissions.check_change(actor, stored, {"is_active": True})
        stored.is_active = active
        stored.save(update_fields=["is_active", "updated_at"])
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
    return changing.update(is_active=active, updated_at=timezone.now())


@transaction.atomic
def user_set_password(
    *, actor: User | None = None, user: User, password: str | None
) -> User:
    """Set a new password, or make it unusable when password is None."""
    permissions.check_set_password(actor, _locked(user))
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    return user


@transaction.atomic
def user_delete(*, actor: User | None = None, user: User) -> None:
    permissions.check_delete(actor, _locked(user))
    user.delete()


@transaction.atomic
def users_import(
    rows: Iterable[tuple],
    *,
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
