"""Which second factors an account has: reads only (users.services writes them).

The factors are django-otp's devices. An account is enrolled once it has a
confirmed authenticator-app device (TOTP); its recovery codes are the tokens
of its static device, each usable once.
"""

from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import User

# Device names, as django-otp's models want one.
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"


@dataclass(frozen=True)
class Status:
    enrolled: bool
    recovery_codes_left: int

    def __str__(self) -> str:
        if not self.enrolled:
            return "Not enrolled"
        codes = self.recovery_codes_left
        plural = "" if codes == 1 else "s"
        return f"Enrolled (authenticator app), {codes} recovery code{plural} left"


def authenticator(user: User) -> TOTPDevice | None:
    """The account's confirmed authenticator-app device, if any."""
    return _confirmed(TOTPDevice, user).first()


def recovery_device(user: User) -> StaticDevice | None:
    """The device holding the account's recovery codes, if any."""
    return _confirmed(StaticDevice, user).first()


def unsaved_authenticator(user: User, key: str | None = None) -> TOTPDevice:
    """An authenticator device not saved yet: the one being set up (its key),
    or one with a fresh random secret."""
    device = TOTPDevice(user=user, name=AUTHENTICATOR_NAME)
    if key is not None:
        device.key = key
    return device


def is_current(user: User, device) -> bool:
    """device (the one a session passed, or None) is still one of user's
    confirmed factors: not replaced or reset since."""
    if device is None or device.user_id != user.pk:
        return False
    return _confirmed(type(device), user).filter(pk=device.pk).exists()


def is_enrolled(user: User) -> bool:
    return _confirmed(TOTPDevice, user).exists()


def status(user: User) -> Status:
    """Enrolled or not, and how many recovery codes are left (one query)."""
    codes = (
        StaticToken.objects.filter(device__user=OuterRef("pk"), device__confirmed=True)
        .order_by()
        .values("device__user")
        .annotate(count=Count("pk"))
        .values("count")
    )
    enrolled, codes_left = (
        User.objects.filter(pk=user.pk)
        .values_list(
            Exists(_confirmed(TOTPDevice, OuterRef("pk"))),
            Coalesce(Subquery(codes), 0),
        )
        .get()
    )
    return Status(enrolled, codes_left)


def having_factors(users: QuerySet) -> QuerySet:
    """The accounts among `users` holding any device, confirmed or not."""
    return users.filter(
        Exists(TOTPDevice.objects.filter(user=OuterRef("pk")))
        | Exists(StaticDevice.objects.filter(user=OuterRef("pk")))
    )


def devices_of(users: QuerySet) -> tuple[QuerySet, ...]:
    """Every device of `users`, one queryset per kind (for deleting them)."""
    return (
        TOTPDevice.objects.filter(user__in=users),
        StaticDevice.objects.filter(user__in=users),
    )


def _confirmed(model, user: User) -> QuerySet:
    return model.objects.devices_for_user(user, confirmed=True).order_by("pk")
