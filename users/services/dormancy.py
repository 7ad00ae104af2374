"""The dormant-account policy: exempting an account, and the lifecycle run's
two passes - warn, then deactivate (users.managers.dormancy says who).

Each batch is one transaction over rows taken with SKIP LOCKED, so a run
killed midway leaves every account fully processed or untouched, several runs
at once never do an account twice, and a rerun finishes. Deactivation is
set-based: on PostgreSQL one UPDATE ... RETURNING per batch deactivates the
accounts, ends their sessions (the session epoch) and feeds the INSERT of
their audit events (trail.record_rows) - 100,000 accounts in seconds (bench/).
Superusers come last, in one transaction with every active superuser locked:
never the last active one (users.permissions).
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import F

from .. import mail, permissions
from ..audit import trail
from ..managers.dormancy import IDLE, DormancyPolicy, idle_since
from ..models import AuditEvent, DormancyExemption, DormancyWarning, User
from .base import FROM_REQUEST, lock, resolve_actor, set_active_recorded

Action = AuditEvent.Action
BATCH_SIZE = 5000
WARN_BATCH_SIZE = 100  # one transaction holds its rows while mail goes out
DEACTIVATED = {"is_active": [True, False]}
# How the trail names the preview's CSV (users_export's filters), from the
# page or `lifecycle --dry-run --dormant-csv`.
PREVIEW_EXPORT = "dormant-account preview"


@dataclass
class DormancyResult:
    deactivated: int = 0
    warned: int = 0
    # Accounts the rules keep (the last active superuser), and warnings the
    # mail server refused: by id, why.
    skipped: dict[int, str] = field(default_factory=dict)
    unsent: dict[int, str] = field(default_factory=dict)


@transaction.atomic
def user_set_dormancy_exemption(
    *, actor=FROM_REQUEST, user: User, exempt: bool, note: str = ""
) -> bool:
    """Exempt user from the dormant-account policy (or end its exemption);
    returns whether anything changed. A note over 500 characters (or with a
    NUL) is a field error."""
    exemption = DormancyExemption(user=user, note=note, by_label="-")
    exemption.full_clean(exclude=["user"])  # the note: its length, no NUL
    stored, actor = lock(user, resolve_actor(actor))
    permissions.check_set_dormancy_exemption(actor, stored)
    current = DormancyExemption.objects.filter(user=stored).first()
    if not exempt:
        if current is None:
            return False
        current.delete()
        changes = {
            "dormancy_exempt": [True, False],
            "exemption_note": [current.note, None],
        }
    elif current is not None and current.note == note:
        return False
    else:
        changes = {} if current else {"dormancy_exempt": [False, True]}
        changes["exemption_note"] = [current.note if current else None, note]
        DormancyExemption.objects.update_or_create(
            user=stored,
            defaults={
                "note": note,
                "by_id": actor.pk if actor else None,
                "by_label": actor.get_username() if actor else trail.SYSTEM_LABEL,
            },
        )
    trail.record(Action.DORMANT_EXEMPT, stored, changes, actor=actor)
    return True


def dormancy_run(
    now: datetime,
    policy: DormancyPolicy,
    *,
    size: int = BATCH_SIZE,
    warn_size: int = WARN_BATCH_SIZE,
) -> DormancyResult:
    """Warn whom the policy warns, then deactivate the dormant, by batches."""
    result = DormancyResult()
    if not policy.enabled:
        return result
    if policy.warns:
        while warn_batch(now, policy, result, warn_size):
            pass
    while deactivate_batch(now, policy, result, size):
        pass
    deactivate_superusers(now, policy, result)
    return result


@transaction.atomic
def deactivate_batch(
    now: datetime, policy: DormancyPolicy, result: DormancyResult, size: int
) -> int:
    """Deactivate up to `size` dormant accounts that are not superusers, with
    their events, in one transaction; returns how many (0: none left)."""
    due = User.objects.dormant(policy, now).filter(is_superuser=False)
    ids = due.next_idle_unlocked(size)
    count = _deactivate(ids, now) if ids else 0
    result.deactivated += count
    return count


@transaction.atomic
def deactivate_superusers(
    now: datetime, policy: DormancyPolicy, result: DormancyResult
) -> None:
    """The dormant superusers, in one transaction with every active superuser
    locked (the rules' order): all of them, unless no active superuser would
    be left - then the one idle the shortest stays, and the rules say why."""
    active = set(User.objects.lock_active_superuser_ids())
    dormant = User.objects.dormant(policy, now).filter(is_superuser=True)
    due = list(dormant.order_by(IDLE, "pk").values_list("pk", flat=True))
    kept = due.pop() if due and active <= set(due) else None
    if due:
        permissions.check_deactivate_all(None, User.objects.filter(pk__in=due))
        result.deactivated += _deactivate(due, now)
    if kept is not None:
        stored = User.objects.get(pk=kept)
        try:
            permissions.check_deactivate(None, stored)
        except PermissionDenied as refusal:
            result.skipped[kept] = f"{stored.username}: {refusal}"
        else:  # not reached while the rules keep the last active superuser
            result.deactivated += _deactivate([kept], now)


def _deactivate(ids: list[int], now: datetime) -> int:
    """Deactivate these (locked) accounts, end their sessions (the epoch) and
    record one DORMANT event each; returns how many."""
    rows = User.objects.filter(pk__in=ids)
    if connection.vendor == "postgresql":
        return set_active_recorded(
            rows, False, Action.DORMANT, DEACTIVATED, **_by_policy(now)
        )
    # SQLite: one writer at a time; record, then change.
    trail.record_each(Action.DORMANT, rows, DEACTIVATED, **_by_policy(now))
    return rows.update(
        is_active=False, updated_at=now, session_epoch=F("session_epoch") + 1
    )


@transaction.atomic
def warn_batch(
    now: datetime, policy: DormancyPolicy, result: DormancyResult, size: int
) -> int:
    """Warn up to `size` accounts due their warning, in one transaction that
    records each warning the mail server took; returns how many rows it took
    (0: none left). Mail goes out before the commit: a run killed in between
    warns those accounts again on the rerun, rather than never."""
    due = User.objects.due_warning(policy, now).exclude(pk__in=result.unsent)
    ids = due.next_idle_unlocked(size)
    if not ids:
        return 0
    accounts = User.objects.filter(pk__in=ids).annotate(idle=idle_since())
    sent = []
    for user in accounts.order_by("pk"):
        deadline = _deadline(user.idle, now, policy)
        try:
            mail.dormancy_warning(user, idle_since=user.idle, deadline=deadline).send()
        except mail.MAIL_ERRORS as error:
            result.unsent[user.pk] = f"{user.username}: {error}"
        else:
            sent.append(user.pk)
    if sent:
        _record_warnings(sent, now, policy)
    result.warned += len(sent)
    return len(ids)


def _record_warnings(sent: list[int], now: datetime, policy: DormancyPolicy) -> None:
    DormancyWarning.objects.bulk_create(
        [DormancyWarning(user_id=pk, sent_at=now) for pk in sent],
        update_conflicts=True,
        unique_fields=["user"],
        update_fields=["sent_at"],
    )
    changes = {"dormant_warning": [None, f"sent; {policy.warn_days} days' notice"]}
    rows = User.objects.filter(pk__in=sent)
    trail.record_each(Action.DORMANT_WARN, rows, changes, **_by_policy(now))


def _deadline(idle: datetime, now: datetime, policy: DormancyPolicy) -> datetime:
    """When the run deactivates an account warned now: dormant, and warned
    warn_days before."""
    dormant = idle + timedelta(days=policy.after_days)
    return max(dormant, now + timedelta(days=policy.warn_days))


def _by_policy(now: datetime) -> dict:
    return {"actor": None, "actor_label": trail.POLICY_LABEL, "at": now, "batch": None}
