"""Bulk actions on a selection of accounts, and undoing them.

Set-based: the selection is never loaded into Python. In one transaction the
selection's rows are locked (base.lock, the one global order), one audit
event per account is written by a single INSERT ... SELECT, and from then on
"the accounts of this batch" - those events - are the set that is judged and
changed, so an account that starts matching halfway through is neither
changed nor recorded. One more event (BULK) describes the action itself and
shares the batch, which is how an undo knows exactly which accounts to reverse.

All or nothing: one account the actor may not change refuses the lot, with
the rule's reason (users.permissions), and nothing is written.
"""

from datetime import datetime, timedelta
from uuid import UUID, uuid4, uuid5

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone

from .. import permissions
from ..audit import trail
from ..models import AuditEvent, User
from .base import FROM_REQUEST, lock, resolve_actor, set_active_recorded
from .sessions import end_listed_sessions

Action = AuditEvent.Action
ACTIONS = ("activate", "deactivate", "delete", "end_sessions")
# What undoes what; the other actions cannot be undone.
REVERSE = {"activate": "deactivate", "deactivate": "activate"}
EVENT_OF = {
    "activate": Action.ACTIVATE,
    "deactivate": Action.DEACTIVATE,
    "delete": Action.DELETE,
    "end_sessions": Action.END_SESSIONS,
}
CHANGES_OF = {
    "activate": {"is_active": [False, True]},
    "deactivate": {"is_active": [True, False]},
}


class BulkRefused(Exception):
    """The bulk action or undo was refused for a reason that is not a rule of
    the privilege hierarchy (those raise PermissionDenied); nothing changed."""


def undo_batch(batch: UUID) -> UUID:
    """The batch of the undo of `batch`: derived, so "already undone?" is one
    index lookup, and a second undo cannot slip past the first."""
    return uuid5(batch, "undo")


@transaction.atomic
def users_bulk(
    *,
    actor=FROM_REQUEST,
    action: str,
    users: QuerySet,
    scope: str,
    filters: str,
    at_most: int | None = None,
) -> AuditEvent:
    """Apply action to the accounts of `users` it would change; return the
    bulk event. For the trail, `scope` says how they were chosen ("matching"
    the list's search, or "ticked") and `filters` is the list's query string.
    With at_most (the number a person confirmed), a selection that has grown
    since is refused rather than acted on."""
    if action not in ACTIONS:
        raise ValueError(f"unknown bulk action {action!r}")
    changing = users.changed_by(action)
    _, actor = lock(
        None,
        resolve_actor(actor),
        matching=changing,
        with_active_superusers=action in ("deactivate", "delete"),
    )
    batch, now = uuid4(), timezone.now()
    count = _record_and_apply(
        action, changing, actor=actor, at=now, batch=batch, at_most=at_most
    )
    summary = {"action": action, "count": count, "scope": scope, "filters": filters}
    return trail.record(Action.BULK, None, summary, actor=actor, at=now, batch=batch)


@transaction.atomic
def bulk_undo(*, actor=FROM_REQUEST, batch: UUID) -> AuditEvent:
    """Reverse a bulk (de)activation for the accounts it changed that nobody
    has changed since (the others are left as they are and reported: their
    state is someone's later decision); return the undo's bulk event."""
    actor = resolve_actor(actor)
    original = (
        AuditEvent.objects.bulk_action(batch).select_for_update().first()
    )  # the lock makes two undos of one batch take turns
    if original is None:
        raise BulkRefused("There is no such bulk change.")
    reason = undo_refusal(original, actor)
    if reason:
        raise BulkRefused(reason)
    action = REVERSE[original.changes["action"]]
    touched = User.objects.filter(
        pk__in=AuditEvent.objects.of_batch(batch).values("target_id")
    )
    _, actor = lock(
        None, actor, matching=touched, with_active_superusers=action == "deactivate"
    )
    later = AuditEvent.objects.touching(OuterRef("pk"), after=original.at)
    unchanged = touched.changed_by(action).exclude(Exists(later))
    undo, now = undo_batch(batch), timezone.now()
    count = _record_and_apply(action, unchanged, actor=actor, at=now, batch=undo)
    skipped = AuditEvent.objects.of_batch(batch).exclude(
        target_id__in=AuditEvent.objects.of_batch(undo).values("target_id")
    )
    summary = {
        "action": action,
        "count": count,
        "scope": original.changes.get("scope", ""),
        "filters": original.changes.get("filters", ""),
        "undoes": str(batch),
        "skipped": original.changes["count"] - count,
        "skipped_sample": list(skipped.values_list("target_label", flat=True)[:10]),
    }
    return trail.record(Action.BULK, None, summary, actor=actor, at=now, batch=undo)


def undo_refusal(original: AuditEvent, actor: User | None) -> str | None:
    """Why `original` (a bulk event) cannot be undone by actor now, or None.
    Pages ask before offering Undo; bulk_undo asks again under lock."""
    done = original.changes.get("action")
    if original.changes.get("undoes"):
        return "This is an undo; it cannot be undone in its turn."
    if done not in REVERSE:
        return f"A bulk {_verb(done)} cannot be undone."
    if actor is not None and not actor.is_superuser and actor.pk != original.actor_id:
        return "Only the person who made a bulk change, or a superuser, can undo it."
    if AuditEvent.objects.bulk_action(undo_batch(original.batch)).exists():
        return "This bulk change has already been undone."
    if timezone.now() > undo_deadline(original):
        minutes = settings.BULK_UNDO_SECONDS // 60
        return (
            f"A bulk change can be undone for {minutes} minutes only; "
            "this one is older."
        )
    return None


def undo_deadline(original: AuditEvent) -> datetime:
    return original.at + timedelta(seconds=settings.BULK_UNDO_SECONDS)


def _record_and_apply(
    action: str,
    changing: QuerySet,
    *,
    actor: User | None,
    at: datetime,
    batch: UUID,
    at_most: int | None = None,
) -> int:
    """Record one event per account of `changing` and change those accounts;
    returns how many. The accounts so recorded (the batch's events) are the
    set judged by the rules, before the commit: a refusal rolls back both."""
    in_one_pass = action in CHANGES_OF and connection.vendor == "postgresql"
    if in_one_pass:
        count = set_active_recorded(
            changing,
            action == "activate",
            EVENT_OF[action],
            CHANGES_OF[action],
            actor=actor,
            at=at,
            batch=batch,
        )
    else:
        changes = CHANGES_OF.get(action, {})
        count = trail.record_each(
            EVENT_OF[action], changing, changes, actor=actor, at=at, batch=batch
        )
    if not count:
        raise BulkRefused(
            f"Nothing to {_verb(action)}: none of the selected accounts needs it."
        )
    if at_most is not None and count > at_most:
        raise BulkRefused(
            f"The selection now holds {count:,} accounts to {_verb(action)}, "
            f"more than the {at_most:,} you confirmed, so nothing was changed. "
            "Look at the selection again."
        )
    targets = User.objects.filter(
        pk__in=AuditEvent.objects.of_batch(batch).values("target_id")
    )
    permissions.check_bulk(actor, action, targets)
    if in_one_pass:
        return count
    if action == "activate":
        targets.update(is_active=True, updated_at=at)
    elif action == "deactivate":
        # Losing access ends the account's sessions (base.ends_sessions).
        targets.update(
            is_active=False, updated_at=at, session_epoch=F("session_epoch") + 1
        )
    elif action == "delete":
        targets.delete()
    else:
        end_listed_sessions(actor, targets)
    return count


def _verb(action: str | None) -> str:
    return (action or "change").replace("_", " ")
