"""Personal API tokens: making one (its plaintext returned once), revoking,
and the bookkeeping of their use. Each change is audited against the token's
owner; the format and the lookup are users.tokens."""

import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .. import permissions, tokens
from ..audit import trail
from ..models import ApiToken, AuditEvent, User
from .base import FROM_REQUEST, lock, resolve_actor

Action = AuditEvent.Action
# last_used_at is written at most this often per token: a busy script does
# not write a row per request.
USED_EVERY = timedelta(seconds=60)
LONGEST_LIFETIME = timedelta(days=366)


def _label(token: ApiToken) -> str:
    return f"{token.name} ({token.prefix}…)"


def _new_token() -> tuple[str, str]:
    prefix = "".join(
        secrets.choice(tokens.PREFIX_ALPHABET) for _ in range(tokens.PREFIX_LENGTH)
    )
    plaintext = f"{tokens.SCHEME}{prefix}_{secrets.token_urlsafe(tokens.SECRET_BYTES)}"
    return prefix, plaintext


@transaction.atomic
def token_create(
    *,
    actor=FROM_REQUEST,
    name: str,
    lifetime: timedelta,
    enrolled: bool,
    passed_second_factor: bool,
) -> tuple[ApiToken, str]:
    """Make a token for the actor; return it and its plaintext, which is not
    stored anywhere and cannot be shown again.

    enrolled / passed_second_factor: whether the actor has a second factor,
    and whether the session asking passed it (users.permissions).
    """
    _, actor = lock(None, resolve_actor(actor))
    permissions.check_create_token(
        actor, enrolled=enrolled, passed=passed_second_factor
    )
    if not timedelta(0) < lifetime <= LONGEST_LIFETIME:
        raise ValueError(f"A token lives at most {LONGEST_LIFETIME.days} days.")
    prefix, plaintext = _new_token()
    now = timezone.now()
    token = ApiToken.objects.create(
        user=actor,
        name=name.strip(),
        prefix=prefix,
        digest=tokens.digest_of(plaintext),
        epoch=actor.session_epoch,
        created_at=now,
        expires_at=now + lifetime,
    )
    changes = {"token": [None, _label(token)], "expires": [None, str(token.expires_at)]}
    trail.record(Action.TOKEN_CREATE, actor, changes, actor=actor)
    return token, plaintext


@transaction.atomic
def token_revoke(*, actor=FROM_REQUEST, token: ApiToken) -> bool:
    """Revoke a token; False if it already was (nothing to do)."""
    owner, actor = lock(User(pk=token.user_id), resolve_actor(actor))
    permissions.check_revoke_token(actor, owner)
    stored = ApiToken.objects.select_for_update().filter(pk=token.pk).first()
    if stored is None or stored.revoked_at is not None:
        return False
    stored.revoked_at = token.revoked_at = timezone.now()
    stored.save(update_fields=["revoked_at"])
    changes = {"token": [_label(stored), "revoked"]}
    trail.record(Action.TOKEN_REVOKE, owner, changes, actor=actor)
    return True


def token_used(token: ApiToken, *, now: datetime | None = None) -> None:
    """Bookkeeping of a request the token authenticated: last_used_at at most
    once a minute, and an audit event on its first use of each day (UTC), so
    the trail shows which days a token was used without a row per request.

    One conditional UPDATE decides, so two requests racing at midnight record
    one event.
    """
    now = now or timezone.now()
    last = token.last_used_at
    if last is not None and now - last < USED_EVERY:
        return
    start_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    claimed = (
        ApiToken.objects.filter(pk=token.pk)
        .filter(Q(last_used_at=None) | Q(last_used_at__lt=now - USED_EVERY))
        .update(last_used_at=now)
    )
    token.last_used_at = now
    if claimed and (last is None or last < start_of_day):
        trail.record(
            Action.TOKEN_USE,
            token.user,
            {"token": [None, _label(token)]},
            actor=token.user,
        )
