"""The trail's hash chain: each sealed event's hash covers the one before it,
so a change, a deletion or an insertion anywhere shows when the chain is
verified again.

    hash(n) = sha256(hash(n - 1) || canonical(n))

canonical(n) is the event's chain position, id, time, action, actor and
target ids and batch, as they are, and its four fields that may hold
personal data (actor and target labels, client address, changes) as keyed
digests (HMAC, ERASURE_KEY; users.pseudonyms). Erasure rewrites those fields
and records, per field it rewrote, the digest it had before (`redacted`), so
an erased event still hashes as it was sealed, and neither its hash nor its
record lets anyone test a guess at the erased values without the key.

Events arrive unsealed (seq and hash NULL), so that writing - one event or a
million-row INSERT ... SELECT - stays what it was. seal() gives them their
chain positions in id order, in batches, each batch one transaction under a
PostgreSQL advisory lock: two sealers take turns and never fork the chain.
An event whose transaction commits late simply gets a later position.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC

from django.db import connection, transaction

from ..models import AuditCheckpoint, AuditEvent
from ..pseudonyms import keyed_digest

GENESIS = "0" * 64
# The fields that may hold personal data: digests in the canonical form.
PERSONAL = ("actor_label", "target_label", "ip", "changes")
PLAIN = ("id", "at", "action", "actor_id", "target_id", "batch")
COLUMNS = (*PLAIN, *PERSONAL, "redacted")
BATCH_SIZE = 5000
# pg_advisory_xact_lock's key for sealing and purging ("audit chain").
LOCK_KEY = 0x61756469745F63


def _json(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class Digests(dict):
    """What canonical() holds of personal fields' values, remembered for one
    batch or one erasure (where the same label recurs thousands of times);
    never longer: the keys are personal values."""

    def of(self, field: str, value) -> str:
        plain = str(value) if field == "ip" and value is not None else value
        message = _json(plain)
        key = (field, message)
        if key not in self:
            self[key] = keyed_digest(f"audit.{field}", message)
        return self[key]


def canonical(seq: int, row: dict, digests: Digests) -> bytes:
    redacted = row["redacted"] or {}
    at = row["at"].astimezone(UTC).isoformat()
    batch = str(row["batch"]) if row["batch"] else None
    plain = [seq, row["id"], at, row["action"], row["actor_id"], row["target_id"]]
    personal = [redacted.get(f) or digests.of(f, row[f]) for f in PERSONAL]
    return _json([*plain, batch, *personal]).encode()


def link(previous: str, seq: int, row: dict, digests: Digests | None = None) -> str:
    text = canonical(seq, row, Digests() if digests is None else digests)
    return hashlib.sha256(previous.encode() + text).hexdigest()


def start() -> tuple[int, str]:
    """Where verification starts: the purge's checkpoint, or the genesis."""
    checkpoint = AuditCheckpoint.objects.first()
    return (checkpoint.seq, checkpoint.hash) if checkpoint else (0, GENESIS)


def head() -> tuple[int, str]:
    """The last sealed event's (seq, hash), or start() when there is none."""
    sealed = AuditEvent.objects.filter(seq__isnull=False).order_by("-seq")
    last = sealed.values_list("seq", "hash").first()
    return last or start()


def lock_chain() -> None:
    """Take turns with other sealers and the purge, until the transaction ends."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def seal(*, batch_size: int = BATCH_SIZE) -> int:
    """Seal every event committed so far; returns how many."""
    sealed, after = 0, 0
    while count := _seal_batch(max(batch_size, 1), after):
        sealed, after = sealed + count[0], count[1]
    return sealed


@transaction.atomic
def _seal_batch(size: int, after: int) -> tuple[int, int] | None:
    """Seal up to size events from id `after` on: (how many, the last id).
    Each batch starts where the last ended, not at the lowest unsealed id,
    which would walk the index past the entries of every event sealed so far
    (dead until VACUUM). An event with a lower id that commits meanwhile
    waits for the next run."""
    lock_chain()
    seq, previous = head()
    waiting = AuditEvent.objects.filter(seq__isnull=True, id__gt=after)
    rows = list(waiting.order_by("id").values(*COLUMNS)[:size])
    links, digests = [], Digests()
    for row in rows:
        seq += 1
        previous = link(previous, seq, row, digests)
        links.append((row["id"], seq, previous))
    _store_links(links)
    return (len(rows), rows[-1]["id"]) if rows else None


def _store_links(links: list[tuple[int, int, str]]) -> None:
    if not links:
        return
    if connection.vendor != "postgresql":
        events = [AuditEvent(pk, seq=seq, hash=h) for pk, seq, h in links]
        AuditEvent.objects.bulk_update(events, ["seq", "hash"], batch_size=500)
        return
    # One JSON parameter: psycopg splits a query of 15,000 placeholders slowly.
    document = json.dumps([{"id": i, "seq": s, "hash": h} for i, s, h in links])
    with connection.cursor() as cursor:
        cursor.execute(
            f"""UPDATE {AuditEvent._meta.db_table} AS event
            SET seq = new.seq, hash = new.hash
            FROM jsonb_to_recordset(%s::jsonb) AS new (id bigint, seq bigint, hash text)
            WHERE event.id = new.id AND event.seq IS NULL""",
            [document],
        )
        if cursor.rowcount != len(links):  # never under the lock: no gap, ever
            raise RuntimeError("audit events changed while being sealed")


@dataclass
class Break:
    """The first broken link: the event where the chain stops holding."""

    event_id: int
    seq: int
    expected: str
    found: str
    reason: str


@dataclass
class Report:
    start: tuple[int, str]
    head: tuple[int, str]
    checked: int
    unsealed: int
    broken: Break | None


def verify(*, chunk_size: int = BATCH_SIZE) -> Report:
    """Walk the sealed events in chain order from start(), recomputing each
    hash; stop at the first that does not hold."""
    first = seq, previous = start()
    checked = 0
    sealed = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    rows = sealed.values("seq", "hash", *COLUMNS).iterator(chunk_size=chunk_size)
    broken, digests = None, Digests()
    for row in rows:
        if len(digests) > chunk_size:
            digests.clear()
        broken = _check(row, seq + 1, previous, digests)
        if broken:
            break
        seq, previous = row["seq"], row["hash"]
        checked += 1
    unsealed = AuditEvent.objects.filter(seq__isnull=True).count()
    return Report(first, (seq, previous), checked, unsealed, broken)


def _check(row: dict, seq: int, previous: str, digests: Digests) -> Break | None:
    if row["seq"] != seq:
        reason = (
            f"chain positions {seq}-{row['seq'] - 1} are missing (deleted events)"
            if row["seq"] > seq
            else f"chain position {row['seq']} repeats (a forked chain)"
        )
        return Break(row["id"], row["seq"], f"position {seq}", str(row["seq"]), reason)
    expected = link(previous, seq, row, digests)
    if expected == row["hash"]:
        return None
    reason = (
        "the event or its hash was changed, or the chain before it rewritten "
        "(or ERASURE_KEY is not the key it was sealed with)"
    )
    return Break(row["id"], seq, expected, row["hash"], reason)


def at_position(seq: int) -> str | None:
    """The hash sealed at seq (for an anchor kept elsewhere), if still held."""
    checkpoint = AuditCheckpoint.objects.first()
    if checkpoint and checkpoint.seq == seq:
        return checkpoint.hash
    found = AuditEvent.objects.filter(seq=seq).values_list("hash", flat=True)
    return found.first()
