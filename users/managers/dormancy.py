"""The dormant-account policy's queries: its settings (DormancyPolicy), the
moment an account went idle, and who is dormant or due a warning.

An account is idle since its last login, or since it was created if it never
logged in (Coalesce(last_login, created_at)); the partial index
users_user_dormancy_idx on (that, id) for active accounts serves the preview,
its count and the run's batches (tests: test_query_plans_dormancy).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Self

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce

from .ordering import OrderedQuerySet

IDLE = "idle_since"


def idle_since() -> Coalesce:
    return Coalesce("last_login", "created_at")


def dormancy_index() -> models.Index:
    # Only active accounts: the deactivated are never dormant, and a run takes
    # each account out of the index as it deactivates it.
    return models.Index(
        idle_since(),
        F("id"),
        name="users_user_dormancy_idx",
        condition=Q(is_active=True),
    )


@dataclass(frozen=True)
class DormancyPolicy:
    """DORMANT_AFTER_DAYS (0: off), DORMANT_WARN_DAYS (0: no warning) and
    DORMANT_EXEMPT_GROUPS, as the settings say (noogh_site.settings)."""

    after_days: int = 0
    warn_days: int = 0
    exempt_groups: tuple[str, ...] = ()

    @classmethod
    def from_settings(cls) -> DormancyPolicy:
        return cls(
            after_days=settings.DORMANT_AFTER_DAYS,
            warn_days=settings.DORMANT_WARN_DAYS,
            exempt_groups=tuple(settings.DORMANT_EXEMPT_GROUPS),
        )

    @property
    def enabled(self) -> bool:
        return self.after_days > 0

    @property
    def warns(self) -> bool:
        return self.enabled and self.warn_days > 0

    def deactivate_before(self, now: datetime) -> datetime:
        """Idle since before this: dormant."""
        return now - timedelta(days=self.after_days)

    def warn_before(self, now: datetime) -> datetime:
        """Idle since before this: due the warning."""
        return now - timedelta(days=self.after_days - self.warn_days)


class DormancyQuerySet(OrderedQuerySet):
    """The policy's part of users.managers.accounts.UserQuerySet."""

    def idle_before(self, cutoff: datetime) -> Self:
        """Active accounts with no login (nor creation) since cutoff."""
        rows = self.filter(is_active=True).alias(**{IDLE: idle_since()})
        return rows.filter(**{f"{IDLE}__lt": cutoff})

    def not_exempt(self, groups: tuple[str, ...]) -> Self:
        """Without an exemption of their own or through one of these groups."""
        rows = self.filter(dormancy_exemption__isnull=True)
        if groups:
            member = Group.objects.filter(name__in=groups, user=OuterRef("pk"))
            rows = rows.exclude(Exists(member))
        return rows

    def dormant(self, policy: DormancyPolicy, now: datetime) -> Self:
        """Whom a lifecycle run at `now` deactivates for dormancy (the
        preview shows exactly these). With warnings, an account that has an
        email address is deactivated only once its warning, sent in this idle
        period, is warn_days old: whoever can be told is told in time."""
        if not policy.enabled:
            return self.none()
        rows = self.idle_before(policy.deactivate_before(now)).not_exempt(
            policy.exempt_groups
        )
        if policy.warns:
            warned_in_time = Q(
                dormancy_warning__sent_at__gt=F(IDLE),
                dormancy_warning__sent_at__lte=now - timedelta(days=policy.warn_days),
            )
            rows = rows.filter(Q(email="") | warned_in_time)
        return rows

    def due_warning(self, policy: DormancyPolicy, now: datetime) -> Self:
        """Whom a run at `now` warns: idle for after_days - warn_days, with an
        email address, and not yet warned in this idle period."""
        if not policy.warns:
            return self.none()
        rows = self.idle_before(policy.warn_before(now)).not_exempt(
            policy.exempt_groups
        )
        not_warned = Q(dormancy_warning__isnull=True) | Q(
            dormancy_warning__sent_at__lte=F(IDLE)
        )
        return rows.exclude(email="").filter(not_warned)

    def next_idle_unlocked(self, size: int) -> list[int]:
        """Up to `size` ids of these (idle_before) rows, oldest idle first -
        the index's order - locked for this transaction; rows another
        transaction holds are skipped (SKIP LOCKED, as next_unlocked)."""
        rows = self.order_by(IDLE, "pk").select_for_update(
            skip_locked=True, of=("self",)
        )
        return list(rows.values_list("pk", flat=True)[:size])
