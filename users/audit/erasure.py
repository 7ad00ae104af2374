"""Erasure's rewrite of the trail: an erased account's identifying values
replaced by pseudonyms in the events about it and by it."""

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from django.db import connection

from ..models import AuditEvent, User
from .chain import Digests

# The fields of an account whose values the trail holds and erasure replaces.
IDENTIFYING_FIELDS = ("username", "email", "full_name")
# Shorter values are not looked for inside other text (they would match words).
MIN_QUOTED_LENGTH = 3


def pseudonymise_trail(
    account: User, pseudonym: Callable[[str, str], str], *, batch_size: int = 5000
) -> None:
    """Rewrite the trail about and by account with pseudonym(field, value) in
    place of its identifying values: the labels naming it, the old and new
    values of its username, email and name changes and those values quoted in
    other text (e.g. "reset sent to a@x") in the events about it, and the
    addresses it acted from.
    account holds the values as they are now; earlier ones come from the trail.
    Other columns, and other accounts' events, stay as they were. Each event
    is written once, with the chain digest of each field it rewrote as it was
    (`redacted`), so that its hash still holds (audit.chain)."""
    about = AuditEvent.objects.filter(target_id=account.pk)
    by = AuditEvent.objects.filter(actor_id=account.pk)
    values = _identifying_values(account, about, by)
    replacements = {value: pseudonym(field, value) for value, field in values.items()}
    quoted = _Quoted(replacements)
    changed, digests = [], Digests()
    columns = ("id", "target_id", "actor_id", "redacted", *REWRITTEN)
    rows = (about | by).order_by().values_list(*columns)
    for pk, target_id, actor_id, redacted, *before in rows.iterator(
        chunk_size=batch_size
    ):
        target_label, actor_label, ip, changes = before
        if target_id == account.pk:
            target_label = replacements.get(target_label, target_label)
            # Only events about the account: in its events about others the
            # changes are theirs, and whoever may rename the account before
            # erasing it would otherwise choose what is scrubbed from them.
            changes = _scrub(changes, replacements, quoted)
        if actor_id == account.pk:
            actor_label, ip = replacements.get(actor_label, actor_label), None
        after = [target_label, actor_label, ip, changes]
        if after != before:
            redacted = _redacted(redacted, before, after, digests)
            changed.append((pk, *after, redacted))
        if len(changed) == batch_size:
            _store_rewritten(changed)
            changed = []
    _store_rewritten(changed)


# The columns pseudonymise_trail may rewrite (all of audit.chain.PERSONAL).
REWRITTEN = ("target_label", "actor_label", "ip", "changes")


def _redacted(redacted: dict | None, before: list, after: list, digests) -> dict:
    """The chain digests of the fields this rewrite changes, as they were
    first sealed: a field an earlier erasure rewrote keeps its digest."""
    kept = dict(redacted or {})
    for field, old, new in zip(REWRITTEN, before, after, strict=True):
        if old != new:
            kept.setdefault(field, digests.of(field, old))
    return kept


def _store_rewritten(rows: list[tuple]) -> None:
    """Write rows of (id, *REWRITTEN, redacted). On PostgreSQL one UPDATE
    joined to the new values: Django's bulk_update builds a CASE with a branch
    per row, which PostgreSQL evaluates row by row (~15 s for 10,000 events).
    The transaction says it is an erasure: the audit table's trigger lets it
    change only these columns, and only with their digests kept."""
    if not rows:
        return
    columns = (*REWRITTEN, "redacted")
    if connection.vendor != "postgresql":
        events = [
            AuditEvent(pk, **dict(zip(columns, new, strict=True))) for pk, *new in rows
        ]
        AuditEvent.objects.bulk_update(events, columns, batch_size=500)
        return
    # One JSON document of the new values: one parameter, where a VALUES
    # list had six a row (psycopg splits a query of 30,000 placeholders
    # slowly) and arrays are quoted element by element.
    names = ("id", *columns)
    document = json.dumps([dict(zip(names, row, strict=True)) for row in rows])
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('noogh.audit_erasure', 'on', true)")
        cursor.execute(
            f"""UPDATE {AuditEvent._meta.db_table} AS event
            SET target_label = new.target_label, actor_label = new.actor_label,
                ip = new.ip, changes = new.changes, redacted = new.redacted
            FROM jsonb_to_recordset(%s::jsonb) AS new (
                id bigint, target_label text, actor_label text, ip inet,
                changes jsonb, redacted jsonb
            )
            WHERE event.id = new.id""",
            [document],
        )


def _identifying_values(account: User, about, by) -> dict[str, str]:
    """{value: field} of every identifying value the account has had."""
    values = {getattr(account, field): field for field in IDENTIFYING_FIELDS}
    for label in about.order_by().values_list("target_label", flat=True).distinct():
        values.setdefault(label, "username")
    for label in by.order_by().values_list("actor_label", flat=True).distinct():
        values.setdefault(label, "username")
    for field, value in _values_in_changes(account, about):
        values.setdefault(value, field)
    values.pop("", None)
    return values


# On PostgreSQL the distinct values, without decoding every event's changes
# in Python (10,000 events: ~0.2 s).
VALUES_IN_CHANGES_SQL = f"""
    SELECT DISTINCT field.key, item.value #>> '{{}}',
        array_position(%s::text[], field.key) AS field_order
    FROM {AuditEvent._meta.db_table} AS event
    CROSS JOIN LATERAL jsonb_each(CASE jsonb_typeof(event.changes)
        WHEN 'object' THEN event.changes ELSE '{{}}' END) AS field
    CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(field.value)
        WHEN 'array' THEN field.value ELSE '[]' END) AS item (value)
    WHERE event.target_id = %s AND field.key = ANY(%s::text[])
        AND jsonb_typeof(item.value) = 'string'
    ORDER BY field_order
"""


def _values_in_changes(account: User, about) -> Iterator[tuple[str, str]]:
    """(field, value) of the string values in the lists of [old, new] under
    an identifying field of the changes about account."""
    if connection.vendor == "postgresql":
        fields = list(IDENTIFYING_FIELDS)
        with connection.cursor() as cursor:
            cursor.execute(VALUES_IN_CHANGES_SQL, [fields, account.pk, fields])
            yield from ((field, value) for field, value, _ in cursor.fetchall())
        return
    changes_about = about.order_by().values_list("changes", flat=True)
    for changes in changes_about.iterator(chunk_size=5000):
        for field in IDENTIFYING_FIELDS:
            values = changes.get(field) if isinstance(changes, dict) else None
            for value in values if isinstance(values, list) else ():
                if isinstance(value, str):
                    yield field, value


class _Quoted:
    """The person's values long enough to look for inside other text,
    replaced longest first, each once. A pattern of only the values a text
    holds, remembered per text: one alternation of all of them took 0.3 s to
    compile for an account with 1,000 past addresses."""

    def __init__(self, replacements: Mapping[str, str]):
        self.replacements = replacements
        self.olds = sorted(
            (old for old in replacements if len(old) >= MIN_QUOTED_LENGTH),
            key=len,
            reverse=True,
        )
        self.done: dict[str, str] = {}

    def sub(self, text: str) -> str:
        if text not in self.done:
            found = [old for old in self.olds if old in text]
            pattern = "|".join(map(re.escape, found))
            self.done[text] = (
                re.sub(pattern, lambda match: self.replacements[match[0]], text)
                if found
                else text
            )
        return self.done[text]


def _scrub(value: Any, replacements: Mapping[str, str], quoted, field=None) -> Any:
    if isinstance(value, dict):
        return {
            key: _scrub(item, replacements, quoted, key) for key, item in value.items()
        }
    if isinstance(value, list):
        return [_scrub(item, replacements, quoted, field) for item in value]
    if not isinstance(value, str):
        return value
    if field in IDENTIFYING_FIELDS and value in replacements:
        return replacements[value]
    return quoted.sub(value)
