"""The lifecycle run (manage.py lifecycle): lift suspensions whose end has
come, deactivate accounts whose access has ended, then apply the dormant-
account policy (services.dormancy: warn, deactivate), in batches.

Each batch is one transaction over rows it locked with SKIP LOCKED, so a run
killed midway leaves every account either fully processed (changed and
recorded) or untouched, several runs at once share the work without doing any
account twice, and a rerun finishes the job. The actor is the system (for the
rules: only "never the last active superuser" applies), recorded as "policy".
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction

from .. import permissions
from ..audit import trail
from ..managers.dormancy import DormancyPolicy
from ..models import AuditEvent, User
from .base import end_sessions
from .dormancy import DormancyResult, dormancy_run
from .lifecycle import lift

BATCH_SIZE = 100
LIFT, EXPIRE = "lift", "expire"


@dataclass
class RunResult:
    done: dict[str, list[str]] = field(default_factory=lambda: {LIFT: [], EXPIRE: []})
    # Accounts the rules keep as they are (the last active superuser).
    skipped: dict[int, str] = field(default_factory=dict)
    dormancy: DormancyResult = field(default_factory=DormancyResult)


def due(kind: str, now: datetime):
    if kind == LIFT:
        return User.objects.suspension_ended(now)
    return User.objects.access_ended(now)


def _expire(stored: User) -> None:
    permissions.check_deactivate(None, stored)
    old = stored.active_until
    stored.is_active, stored.active_until = False, None
    stored.save(update_fields=["is_active", "active_until", "updated_at"])
    changes = {"is_active": [True, False], "active_until": [trail.as_json(old), None]}
    trail.record(
        AuditEvent.Action.EXPIRE,
        stored,
        changes,
        actor=None,
        actor_label=trail.POLICY_LABEL,
    )
    end_sessions(stored)


def _lift(stored: User) -> None:
    lift(stored, actor=None, actor_label=trail.POLICY_LABEL)


@transaction.atomic
def run_batch(kind: str, now: datetime, result: RunResult, size: int) -> int:
    """Process up to `size` due accounts of one kind in one transaction;
    returns how many rows it locked (0: nothing left of this kind)."""
    ids = due(kind, now).exclude(pk__in=result.skipped).next_unlocked(size)
    apply = _lift if kind == LIFT else _expire
    for stored in User.objects.filter(pk__in=ids).order_by("pk"):
        try:
            apply(stored)
        except PermissionDenied as refusal:
            result.skipped[stored.pk] = f"{stored.username}: {refusal}"
        else:
            result.done[kind].append(stored.username)
    return len(ids)


def lifecycle_run(
    now: datetime,
    *,
    size: int = BATCH_SIZE,
    progress: Callable[[str, int], None] | None = None,
    policy: DormancyPolicy | None = None,
    dormant_size: int | None = None,
) -> RunResult:
    """Apply every end date that has come by `now`, batch by batch, then
    the dormant-account policy (by default as the settings say)."""
    result = RunResult()
    for kind in (LIFT, EXPIRE):
        while run_batch(kind, now, result, size):
            if progress:
                progress(kind, len(result.done[kind]))
    policy = policy or DormancyPolicy.from_settings()
    sizes = {"size": dormant_size} if dormant_size else {}
    result.dormancy = dormancy_run(now, policy, **sizes)
    return result
