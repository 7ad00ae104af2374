"""Every write to users goes through here: admin, HTML views and commands alike."""

from collections.abc import Iterable
from itertools import batched
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

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


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    password: str | None = None,
    full_name: str = "",
    is_active: bool = True,
    is_staff: bool = False,
    is_superuser: bool = False,
) -> User:
    """Create a user; without a password the account cannot log in until one is set."""
    user = User(
        username=username,
        email=email,
        full_name=full_name,
        is_active=is_active,
        is_staff=is_staff,
        is_superuser=is_superuser,
    )
    user.set_password(password)
    _save(user)
    return user


@transaction.atomic
def user_update(*, user: User, **changes: Any) -> User:
    unknown = set(changes) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"user_update() cannot change {', '.join(sorted(unknown))}")
    for field, value in changes.items():
        setattr(user, field, value)
    _save(user)
    return user


def _set_active(user: User, active: bool) -> User:
    if user.is_active != active:
        user.is_active = active
        user.save(update_fields=["is_active", "updated_at"])
    return user


@transaction.atomic
def user_activate(*, user: User) -> User:
    """Let the user log in again; activating an active user changes nothing."""
    return _set_active(user, True)


@transaction.atomic
def user_deactivate(*, user: User) -> User:
    """Stop the user logging in, keeping the account; idempotent."""
    return _set_active(user, False)


@transaction.atomic
def user_set_password(*, user: User, password: str | None) -> User:
    """Set a new password, or make it unusable when password is None."""
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    return user


@transaction.atomic
def user_delete(*, user: User) -> None:
    user.delete()


def users_bulk_create(users: Iterable[User], *, batch_size: int = 5000) -> int:
    """Insert pre-validated users in batches, skipping ones that already exist.

    For loaders that generate or have already validated their rows (seeding,
    imports); returns how many rows were offered.
    """
    offered = 0
    for batch in batched(users, batch_size):
        with transaction.atomic():
            User.objects.bulk_create(batch, ignore_conflicts=True)
        offered += len(batch)
    return offered
