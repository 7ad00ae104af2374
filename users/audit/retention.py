"""The retention purge: the trail's oldest events go, and the chain stays
verifiable from a checkpoint (models.AuditCheckpoint) holding the last
purged event's chain position and hash.

Only a prefix of the chain is ever deleted - events in chain order up to the
first one still within the retention period - so what remains is one
unbroken chain from the checkpoint. Each batch is one transaction under the
sealers' lock: the checkpoint moves forward first (on PostgreSQL its trigger
checks that it names a sealed event's own hash), then the events up to it
are deleted (the audit table's trigger allows a delete only up to the
checkpoint, in a transaction that says it is the purge).
"""

from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from ..models import AuditCheckpoint, AuditEvent
from .chain import BATCH_SIZE, lock_chain, seal


def purge(*, before: datetime, batch_size: int = BATCH_SIZE) -> int:
    """Delete the events of the chain's beginning older than `before`; seals
    what awaits sealing first. Returns how many were deleted."""
    seal(batch_size=batch_size)
    purged = 0
    while count := _purge_batch(before, max(batch_size, 1)):
        purged += count
    return purged


@transaction.atomic
def _purge_batch(before: datetime, size: int) -> int:
    lock_chain()
    oldest = AuditEvent.objects.filter(seq__isnull=False).order_by("seq")
    rows = list(oldest.values_list("seq", "hash", "at")[:size])
    prefix = []
    for row in rows:
        if row[2] >= before:
            break
        prefix.append(row)
    if not prefix:
        return 0
    seq, hash_, at = prefix[-1]
    _allow_purge()
    moved = AuditCheckpoint.objects.update(
        seq=seq, hash=hash_, through_at=at, purged=F("purged") + len(prefix)
    )
    if not moved:
        AuditCheckpoint.objects.create(
            seq=seq, hash=hash_, through_at=at, purged=len(prefix)
        )
    AuditEvent.objects.filter(seq__lte=seq).delete()
    return len(prefix)


def _allow_purge() -> None:
    """Say so to the triggers (PostgreSQL), for this transaction only."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('noogh.audit_purge', 'on', true)")


# A retention longer than this is a typo (and timedelta overflows past ~2.7M).
MAX_DAYS = 36_600


def cutoff(days: int) -> datetime | None:
    """When events older than `days` begin; None when days <= 0 (keep all)."""
    if days > MAX_DAYS:
        raise ValueError(f"a retention of {days} days is more than {MAX_DAYS} days")
    return timezone.now() - timedelta(days=days) if days > 0 else None


def upkeep(retention_days: int) -> tuple[int, int]:
    """Seal what awaits sealing, then purge past the retention period (0:
    keep everything). Returns (sealed, purged)."""
    before = cutoff(retention_days)
    sealed = seal()
    return sealed, purge(before=before) if before else 0
