"""UserSession's queries: an account's live sessions, all its records, the
records that can no longer let anyone in."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from ..models import User


class UserSessionQuerySet(models.QuerySet):
    def live_of(self, user: User) -> UserSessionQuerySet:
        """user's sessions that still let someone in, most recently seen first.

        A session is over once it expires or the account's session epoch has
        moved on past the one it signed in under (users.models.User).
        """
        return self.filter(
            user=user, epoch=user.session_epoch, expires_at__gt=timezone.now()
        ).order_by("-last_seen_at", "-id")

    def all_of(self, user: User) -> UserSessionQuerySet:
        """Every session record of user, live or over, oldest first."""
        return self.filter(user=user).order_by("created_at", "id")

    def over_for(self, user: User, *, expired_before: datetime) -> UserSessionQuerySet:
        """The records of user's sessions that can no longer let anyone in:
        of an older epoch, or expired before the given time."""
        return self.filter(user=user).exclude(
            epoch=user.session_epoch, expires_at__gt=expired_before
        )
