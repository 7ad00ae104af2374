"""Invitations and password-reset links: the e-mail goes out inside the
transaction that records it, so a mail server that refuses leaves no trace
of a link that was never sent."""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db import transaction

from .. import mail, permissions
from ..audit import trail
from ..models import AuditEvent, User
from .accounts import user_create
from .base import FROM_REQUEST, lock, resolve_actor

Action = AuditEvent.Action


@transaction.atomic
def user_send_password_link(*, actor=FROM_REQUEST, user: User, base_url: str) -> User:
    """Mail user a single-use link to set their password (the first one: an
    invitation). The rule is that of setting the password; see mail."""
    stored, actor = lock(user, resolve_actor(actor))
    permissions.check_send_password_link(actor, stored)
    kind = "invitation" if mail.is_invitation(stored) else "reset"
    mail.send_password_link(stored, base_url)
    trail.record(
        Action.PASSWORD_LINK,
        stored,
        {"password_link": [None, f"{kind} sent to {stored.email}"]},
        actor=actor,
    )
    return stored


@transaction.atomic
def user_invite(*, actor=FROM_REQUEST, base_url: str, **fields) -> User:
    """Create an account without a password and mail it the invitation; if
    the mail cannot go out, the account is not created either."""
    user = user_create(actor=actor, password=None, **fields)
    return user_send_password_link(actor=actor, user=user, base_url=base_url)


def users_send_password_links(
    *, actor=FROM_REQUEST, users: Iterable[User], base_url: str
) -> tuple[int, list[str]]:
    """One link per account, each on its own: a refused account (or mail
    server error) stops only its own link. Returns (sent, refusals)."""
    actor = resolve_actor(actor)
    sent, refusals = 0, []
    for user in users:
        try:
            user_send_password_link(actor=actor, user=user, base_url=base_url)
        except PermissionDenied as refusal:
            refusals.append(str(refusal))
        else:
            sent += 1
    return sent, refusals
