"""Writing the trail: one event (record), many (event + record_many), one per
row of a query in a single INSERT ... SELECT (record_from_sql, record_each,
record_rows), and the {field: [old, new]} diffs they hold."""

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db import connection
from django.db.models import F, QuerySet
from django.utils import timezone

from ..models import AuditEvent, User
from .context import client_ip

SYSTEM_LABEL = "system"
# The lifecycle run (manage.py lifecycle): judged as the system (actor None),
# recorded as the policy it applies - an end date someone set earlier.
POLICY_LABEL = "policy"


def as_json(value: Any) -> Any:
    return value if isinstance(value, bool | int | str | None) else str(value)


def diff(before: Any, after: Mapping[str, Any]) -> dict[str, list]:
    """{field: [old, new]} for the fields of `before` whose value `after` changes."""
    return {
        name: [as_json(getattr(before, name)), as_json(value)]
        for name, value in after.items()
        if getattr(before, name) != value
    }


def _label(actor: User | None, actor_label: str | None) -> str:
    """The actor's name in the trail: an account's username, else the label
    given (POLICY_LABEL), else the system's."""
    return actor.get_username() if actor else actor_label or SYSTEM_LABEL


def event(
    action: str,
    target: User | None,
    changes: Mapping | None = None,
    *,
    actor: User | None,
    target_label: str | None = None,
    at: datetime | None = None,
    batch: UUID | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """An unsaved event (for bulk_create); `record` saves one. Without an
    actor it is the system's, or actor_label's (POLICY_LABEL)."""
    return AuditEvent(
        batch=batch,
        at=at or timezone.now(),
        action=action,
        actor_id=actor.pk if actor else None,
        actor_label=_label(actor, actor_label),
        target_id=target.pk if target else None,
        target_label=target_label or (target.get_username() if target else ""),
        ip=client_ip(),
        changes=dict(changes or {}),
    )


def record(action: str, target: User | None, changes=None, **kwargs) -> AuditEvent:
    entry = event(action, target, changes, **kwargs)
    entry.save()
    return entry


def record_many(events: Iterable[AuditEvent], batch_size: int = 2000) -> None:
    AuditEvent.objects.bulk_create(events, batch_size=batch_size)


def record_from_sql(
    action: str, select: str, params: list, *, actor: User | None
) -> int:
    """Record one event per row of `select` (columns target_id, target_label and
    changes, as JSON), in one INSERT: a million-row import stays in the database.
    On PostgreSQL `select` may be an INSERT or UPDATE ... RETURNING those
    columns, so that a write and its trail are one statement. Returns how many
    were recorded."""
    insert = f"""INSERT INTO {AuditEvent._meta.db_table}
        (at, action, actor_id, actor_label, target_id, target_label, ip, changes)
        SELECT %s, %s, %s, %s, t.target_id, t.target_label, %s, t.changes"""
    fixed = [
        timezone.now(),
        action,
        actor.pk if actor else None,
        actor.get_username() if actor else SYSTEM_LABEL,
        client_ip(),
    ]
    if connection.vendor == "postgresql":  # a CTE may hold the write there
        sql, params = f"WITH t AS ({select}) {insert} FROM t", [*params, *fixed]
    else:  # Python's sqlite3 counts no rows for a statement led by WITH
        sql, params = f"{insert} FROM ({select}) AS t", [*fixed, *params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def record_each(
    action: str,
    users: QuerySet,
    changes: Mapping,
    *,
    actor: User | None,
    at: datetime,
    batch: UUID,
    actor_label: str | None = None,
) -> int:
    """Record one event per account of `users` (the same changes for each), in
    one INSERT ... SELECT: a 100,000-account bulk action never leaves the
    database. Returns how many were recorded."""
    # Named columns: SQLite does not name a subquery's "table"."column" after it.
    rows = (
        users.order_by()
        .annotate(event_target=F("pk"), event_label=F("username"))
        .values_list("event_target", "event_label")
    )
    select, params = rows.query.sql_with_params()
    return record_rows(
        action,
        select,
        params,
        changes,
        actor=actor,
        at=at,
        batch=batch,
        actor_label=actor_label,
    )


def record_rows(
    action: str,
    rows_sql: str,
    rows_params: Iterable,
    changes: Mapping,
    *,
    actor: User | None,
    at: datetime,
    batch: UUID,
    actor_label: str | None = None,
) -> int:
    """Record one event per row of rows_sql (columns event_target and
    event_label), in one statement. On PostgreSQL rows_sql may be an
    UPDATE ... RETURNING, so that a change and its trail are one pass."""
    fields = AuditEvent._meta
    prepared = [
        fields.get_field(name).get_db_prep_save(value, connection)
        for name, value in (
            ("at", at),
            ("action", action),
            ("actor_id", actor.pk if actor else None),
            ("actor_label", _label(actor, actor_label)),
            ("ip", client_ip()),
            ("changes", dict(changes)),
            ("batch", batch),
        )
    ]
    insert = f"""INSERT INTO {fields.db_table}
        (at, action, actor_id, actor_label, ip, changes, batch, target_id, target_label)
        SELECT %s, %s, %s, %s, %s, %s, %s, event_target, event_label"""
    if connection.vendor == "postgresql":  # a CTE may hold an UPDATE there
        sql = f"WITH touched AS ({rows_sql}) {insert} FROM touched"
        params = [*rows_params, *prepared]
    else:  # Python's sqlite3 counts no rows for a statement led by WITH
        sql = f"{insert} FROM ({rows_sql}) AS touched"
        params = [*prepared, *rows_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
