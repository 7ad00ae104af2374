"""What every write shares: who is acting, locking rows, validated saves."""

from django.core.exceptions import (
    ObjectDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import IntegrityError, connection, transaction
from django.db.models import F, QuerySet

from ..audit import trail
from ..audit.context import current_actor
from ..models import DUPLICATE_MESSAGES, User


class _FromRequest:
    def __repr__(self) -> str:
        return "FROM_REQUEST"


# The default actor of every service: the signed-in user of the request being
# served, or the system outside a request. A path that forgets to name its
# actor therefore still acts - and is judged and recorded - as the real one.
FROM_REQUEST = _FromRequest()


class UserGone(ObjectDoesNotExist):
    """The account was deleted (by someone else) before this write got to it."""

    def __init__(self, pk):
        super().__init__(f"User {pk} no longer exists; someone else deleted it.")
        self.pk = pk


def resolve_actor(actor) -> User | None:
    return current_actor() if actor is FROM_REQUEST else actor


def lock(
    target: User | None,
    actor: User | None,
    *,
    matching: QuerySet | None = None,
    with_active_superusers: bool = False,
) -> tuple[User | None, User | None]:
    """Lock target, actor and `matching` (and the active superusers if asked) in
    one global order, and return target and actor as stored now.

    Rules are then checked against these rows - never against a form's copy
    or a request's cached user - and they cannot change until the commit.
    """
    ids = {obj.pk for obj in (target, actor) if obj is not None}
    User.objects.lock_for_write(
        ids, matching=matching, with_active_superusers=with_active_superusers
    )
    stored = User.objects.in_bulk(ids)
    if target is not None and target.pk not in stored:
        raise UserGone(target.pk)
    if actor is not None and actor.pk not in stored:
        raise PermissionDenied("Your account no longer exists.")
    return (
        stored[target.pk] if target is not None else None,
        stored[actor.pk] if actor is not None else None,
    )


def save(user: User, **kwargs) -> None:
    """Validate and save; a duplicate that raced past validation is a field error."""
    user.full_clean()
    try:
        # A savepoint, so the caller's transaction survives the IntegrityError.
        with transaction.atomic():
            user.save(**kwargs)
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


def end_sessions(user: User) -> None:
    """End every session of user: the epoch is part of each session's auth hash.

    The caller's own session survives its own password change through
    update_session_auth_hash.
    """
    end_sessions_of(User.objects.filter(pk=user.pk))
    user.refresh_from_db(fields=["session_epoch"])


def end_sessions_of(users: QuerySet) -> None:
    users.update(session_epoch=F("session_epoch") + 1)


def ends_sessions(before: User, changes: dict) -> bool:
    """Losing access or power ends the account's sessions, so that a stolen or
    left-open session does not come back with a later reactivation."""
    return any(
        changes.get(name) is False and getattr(before, name)
        for name in ("is_active", "is_staff", "is_superuser")
    )


def set_active_recorded(
    changing: QuerySet, active: bool, event: str, changes: dict, **recorded
) -> int:
    """PostgreSQL: (de)activate `changing` and record one `event` for each
    account in one statement: the UPDATE's RETURNING feeds the trail's INSERT,
    so the selection is read once and the events name exactly the rows
    changed. Losing access ends the accounts' sessions (the epoch). `recorded`:
    record_rows's actor, at, batch and actor_label. Returns how many."""
    quote = connection.ops.quote_name
    select, params = changing.order_by().values("pk").query.sql_with_params()
    ending = "" if active else ", session_epoch = session_epoch + 1"
    update = (
        f"UPDATE {quote(User._meta.db_table)} SET is_active = %s, updated_at = %s"
        f"{ending} WHERE id IN ({select}) "
        "RETURNING id AS event_target, username AS event_label"
    )
    return trail.record_rows(
        event, update, [active, recorded["at"], *params], changes, **recorded
    )
