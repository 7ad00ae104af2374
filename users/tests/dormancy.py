"""Helpers of the dormant-account policy's tests: accounts idle for a given
number of days, the policy switched on, the lifecycle command's output."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from users.models import User

from .factories import UserFactory

AFTER = 90


def days_ago(days: float):
    return timezone.now() - timedelta(days=days)


def idle(days: float, *, factory=UserFactory, never: bool = False, **fields) -> User:
    """An account whose last login (or creation, if `never`) was `days` ago."""
    user = factory(**fields)
    when = days_ago(days)
    if never:
        User.objects.filter(pk=user.pk).update(created_at=when, last_login=None)
    else:
        User.objects.filter(pk=user.pk).update(
            created_at=when - timedelta(days=1), last_login=when
        )
    user.refresh_from_db()
    return user


@pytest.fixture
def dormant_policy(settings):
    """The policy on: 90 days, no warning, no exempt group."""
    settings.DORMANT_AFTER_DAYS = AFTER
    settings.DORMANT_WARN_DAYS = 0
    settings.DORMANT_EXEMPT_GROUPS = []
    return settings


def lifecycle(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("lifecycle", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()
