"""Erasure (the right to be forgotten) that keeps the trail: the account
stays, as a tombstone under keyed pseudonyms (users.pseudonyms), and the trail
about it still says what happened, linkably, without the person's data."""

from django.db import transaction

from .. import attempts, permissions, pseudonyms
from ..audit import trail
from ..audit.erasure import IDENTIFYING_FIELDS, pseudonymise_trail
from ..models import (
    ApiToken,
    AuditEvent,
    DormancyExemption,
    Suspension,
    User,
    UserSession,
)
from .base import FROM_REQUEST, end_sessions, lock, resolve_actor
from .mfa import delete_devices

# What an erased account keeps of its power: nothing.
TOMBSTONE = {"is_active": False, "is_staff": False, "is_superuser": False}


@transaction.atomic
def user_erase(*, actor=FROM_REQUEST, user: User, basis: str) -> User:
    """Replace user's username, email and name by pseudonyms, here and in the
    trail; make the password unusable; end its sessions; remove its second
    factors, session records and sign-in records; record why (basis).
    Irreversible. The rule is that of deleting (users.permissions.check_erase)."""
    stored, actor = lock(user, resolve_actor(actor), with_active_superusers=True)
    permissions.check_erase(actor, stored)
    pseudonymise_trail(stored, pseudonyms.pseudonym)
    _forget_records(stored)
    for field in IDENTIFYING_FIELDS:
        setattr(stored, field, pseudonyms.pseudonym(field, getattr(stored, field)))
    for field, value in TOMBSTONE.items():
        setattr(stored, field, value)
    stored.set_unusable_password()
    stored.last_login = None
    stored.save()
    stored.groups.clear()
    stored.user_permissions.clear()
    end_sessions(stored)
    erased = [
        *IDENTIFYING_FIELDS,
        "password",
        "sessions",
        "API tokens",
        "second factors",
    ]
    trail.record(
        AuditEvent.Action.ERASE,
        stored,
        {"basis": [None, basis], "erased": [None, ", ".join(erased)]},
        actor=actor,
    )
    return stored


def _forget_records(user: User) -> None:
    """The records that hold where and how the person signed in."""
    delete_devices(User.objects.filter(pk=user.pk))
    UserSession.objects.filter(user=user).delete()
    # Its API tokens: names it chose, when and how it used the API.
    ApiToken.objects.filter(user=user).delete()
    # Its suspension's free text (details, message) may describe the person;
    # so may its dormancy exemption's note (the exemption itself stays).
    Suspension.objects.filter(user=user).delete()
    DormancyExemption.objects.filter(user=user).update(note="")
    for records in attempts.sign_in_records_of(user).values():
        records.delete()
