"""Bulk import: many accounts in one transaction, under the same rules as one."""

from collections.abc import Callable, Iterable
from time import monotonic

from django.core.exceptions import PermissionDenied
from django.db import transaction

from .. import permissions
from ..audit import trail
from ..imports import (
    CONFLICT_MODES,
    UPDATABLE_COLUMNS,
    MergeResult,
    Rejection,
    Staging,
    fills_empty_table,
    load_into_empty,
)
from ..imports.indexes import analyze_users
from ..models import AuditEvent, User
from .base import FROM_REQUEST, lock, resolve_actor

Action = AuditEvent.Action


class ImportConflict(Exception):
    """on_conflict="fail" met rows that clash with stored users; nothing was written."""

    def __init__(self, count: int):
        super().__init__(f"{count} row(s) clash with existing users")
        self.count = count


class ImportRefused(Exception):
    """The import as a whole breaks a rule; nothing was written."""


@transaction.atomic
def users_import(
    rows: Iterable[tuple],
    *,
    actor=FROM_REQUEST,
    columns: Iterable[str] = UPDATABLE_COLUMNS,
    on_conflict: str = "skip",
    update_privileges: bool = False,
    dry_run: bool = False,
    on_rejection: Callable[[Rejection], None] | None = None,
    rejected_before: Callable[[], int] = lambda: 0,
) -> MergeResult:
    """Load validated rows (shaped like STAGED_COLUMNS) in one transaction.

    Rows repeating an earlier row's email or username (ignoring case) are
    rejected; rows clashing with stored users are skipped, update them, or -
    with on_conflict="fail" - abort the whole load (ImportConflict). An update
    writes only the `columns` the file has, and superuser status only with
    update_privileges. Rows naming an account the actor may not change are
    rejected; a load that would leave no active superuser is refused whole
    (ImportRefused). Each rejected row is passed to on_rejection, in line
    order; rejected_before counts the rows refused before staging (reading).
    """
    if on_conflict not in CONFLICT_MODES:
        raise ValueError(f"on_conflict must be one of {', '.join(CONFLICT_MODES)}")
    _, actor = lock(None, resolve_actor(actor), with_active_superusers=True)
    _check_actor(actor, on_conflict, update_privileges)
    began = monotonic()
    with Staging() as staging:
        staging.add(rows)
        staged_in = monotonic() - began
        # After staging: a reader knows its columns once it has read the header.
        updated_columns = set(columns) & set(UPDATABLE_COLUMNS)
        if not update_privileges:
            updated_columns.discard("is_superuser")
        recorder = _recorder(Action.CREATE, actor)
        rejected, result = 0, None
        if fills_empty_table(permissions.unrestricted(actor)):
            result = load_into_empty(staging, recorder)  # None: rows repeat
        if result is None:
            started = monotonic()
            rejected = _reject(
                staging, actor, on_conflict, on_rejection, updated_columns
            )
            checked = monotonic()
            result = staging.merge(on_conflict, updated_columns, recorder)
            # The checks come first, then the merge's own steps.
            result.phases = {"checks": checked - started, **result.phases}
        _refuse_losing_every_superuser(staging)
        trail.record_from_sql(Action.UPDATE, staging.changes_sql(), [], actor=actor)
    result.phases = {"read + stage": staged_in, **result.phases}
    result.phases["total"] = monotonic() - began  # before the commit
    result.rejected = rejected + rejected_before()
    trail.record(Action.IMPORT, None, _summary(result), actor=actor)
    if dry_run:
        transaction.set_rollback(True)
    else:
        changed = result.inserted + result.updated
        transaction.on_commit(lambda: analyze_users(changed))
    return result


def _reject(
    staging: Staging, actor, on_conflict: str, on_rejection, updated_columns
) -> int:
    """Move the rows the rules refuse out of the staging; how many."""
    staging.analyze()  # a first load joins nothing, and skips this
    rejected = staging.reject_duplicates_within()
    rejected += staging.reject_conflicts_with_existing(on_conflict)
    if not permissions.unrestricted(actor):
        rejected += staging.reject_new_superusers()
        if on_conflict == "update":
            rejected += staging.reject_outranked(User.objects.outranking(actor))
    if on_conflict == "update" and "is_active" in updated_columns:
        rejected += staging.reject_activating_suspended()
    for rejection in staging.rejections() if on_rejection else ():
        on_rejection(rejection)
    if rejected and on_conflict == "fail":
        raise ImportConflict(rejected)
    return rejected


def _check_actor(actor: User | None, on_conflict: str, update_privileges: bool):
    permissions.check_actor(actor, "add")
    if on_conflict == "update":
        permissions.check_actor(actor, "change")
    if update_privileges and not permissions.unrestricted(actor):
        raise PermissionDenied("Only a superuser can change superuser status.")


def _refuse_losing_every_superuser(staging: Staging) -> None:
    losing = staging.lines_losing_superusers()
    if losing and not User.objects.active().superusers().exists():
        lines = ", ".join(str(line) for line in losing[:10])
        raise ImportRefused(
            "the import would leave the site with no active superuser "
            f"(line(s) {lines} deactivate or demote the last ones)"
        )


def _recorder(action: str, actor: User | None) -> Callable[[str, list], int]:
    """One event per row of a statement, written in SQL (see record_from_sql)."""

    def record(statement: str, params: list) -> int:
        return trail.record_from_sql(action, statement, params, actor=actor)

    return record


def _summary(result: MergeResult) -> dict:
    return {
        "created": result.inserted,
        "updated": result.updated,
        "skipped": result.skipped,
        "rejected": result.rejected,
    }
