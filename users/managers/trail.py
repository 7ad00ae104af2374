"""AuditEvent's queries: an account's events, keyset pages over (at, id), a
bulk action's batch, what an account did."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models

from .counting import EstimatedCountMixin

if TYPE_CHECKING:
    from ..models import User


class AuditEventQuerySet(models.QuerySet):
    def about(self, user: User, *, after=None) -> AuditEventQuerySet:
        """Events concerning one user, newest first (optionally after a time)."""
        events = self.filter(target_id=user.pk)
        if after is not None:
            events = events.filter(at__gt=after)
        return events.order_by("-at", "-id")

    def count_up_to(self, cap: int) -> int:
        """Count, but stop after cap + 1 events."""
        return self.order_by()[: cap + 1].count()

    def oldest_first(self) -> AuditEventQuerySet:
        return self.order_by("at", "id")

    def older_than(self, key: tuple[datetime, int]) -> AuditEventQuerySet:
        """Events before `key` (an (at, id) pair), newest first. `at <=` is the
        condition the (target, at) index walks from; ties at that moment are
        told apart by id."""
        at, pk = key
        return self.filter(at__lte=at).exclude(at=at, pk__gte=pk)

    def newer_than(self, key: tuple[datetime, int]) -> AuditEventQuerySet:
        at, pk = key
        return self.filter(at__gte=at).exclude(at=at, pk__lte=pk)

    def key_of(self, pk: int) -> tuple[datetime, int] | None:
        """(at, id) of one of these events (a primary-key lookup); None when
        it is not one of them."""
        values = list(self.order_by().filter(pk=pk).values_list("at", flat=True)[:1])
        return (values[0], pk) if values else None

    # A bulk action's own event has no target; its accounts' events share its
    # batch (users.services.bulk).
    def bulk_action(self, batch) -> AuditEventQuerySet:
        # Both columns of the (batch, action) index: found by it, however many
        # target-less events (exports, imports) the trail holds.
        return self.filter(batch=batch, action="bulk")

    def of_batch(self, batch) -> AuditEventQuerySet:
        """The events of the accounts a bulk action touched."""
        return self.filter(batch=batch, target_id__isnull=False)

    def touching(self, target_id, *, after: datetime) -> AuditEventQuerySet:
        """Events about an account (an id or OuterRef) later than a time."""
        return self.filter(target_id=target_id, at__gt=after)

    def by(self, user: User) -> AuditEventQuerySet:
        """Events user was the actor of, oldest first."""
        return self.filter(actor_id=user.pk).order_by("at", "id")


class AuditEventManager(
    EstimatedCountMixin, models.Manager.from_queryset(AuditEventQuerySet)
):
    pass
