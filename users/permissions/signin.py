"""Rules for sign-in matters: second factors, sessions, lockouts, your own password."""

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from ..models import User
from .accounts import check_edit
from .base import (
    check_actor,
    check_manage,
    check_manage_all,
    may_sign_in_to_staff_pages,
)


def must_set_up_second_factor(user: User) -> bool:
    """Staff (and superusers) set up a second factor before any page while
    the site requires one (MFA_REQUIRED)."""
    return settings.MFA_REQUIRED and (user.is_staff or user.is_superuser)


def check_reset_mfa(actor: User | None, target: User) -> None:
    """Removing another account's second factors, so that it sets them up again
    at its next login: someone who could take the account over must not."""
    check_actor(actor, "change")
    _refuse_own_factors(actor, [target])
    check_manage(actor, target)


def check_reset_mfa_all(actor: User | None, targets: QuerySet) -> None:
    check_actor(actor, "change")
    if actor is not None and targets.filter(pk=actor.pk).exists():
        _refuse_own_factors(actor, [actor])
    check_manage_all(actor, targets)


def check_own_factors(
    actor: User | None, *, enrolled: bool = False, passed: bool = False
) -> None:
    """Setting up one's own second factors, or new recovery codes: an active
    account (the system has no factors). One that has factors (`enrolled`)
    changes them only from a session that passed one of them (`passed`): a
    stolen password alone cannot swap in another phone, even racing the
    owner's own setup."""
    if actor is None:
        raise PermissionDenied("Only a signed-in account has second factors.")
    if not actor.is_active:
        raise PermissionDenied("Your account is not active.")
    if enrolled and not passed:
        raise PermissionDenied(
            "Your account has two-factor authentication already: sign in with it first."
        )


def check_change_own_password(actor: User | None, target: User) -> None:
    """The admin's "Change password": your own, which needs no permission over
    users (any active account that reaches the admin may), and nobody else's."""
    if actor is None or actor.pk != target.pk:
        raise PermissionDenied("You can change only your own password this way.")
    if not actor.is_active:
        raise PermissionDenied("Your account is not active.")


def check_end_sessions(actor: User | None, target: User) -> None:
    """Ending one or all of target's sessions. Everyone may end their own,
    staff or not (a session left open elsewhere is theirs to close); another
    account's take change_user and the hierarchy, like setting its password."""
    if actor is not None and actor.pk == target.pk:
        if not actor.is_active:
            raise PermissionDenied("Your account is not active.")
        return
    check_edit(actor, target)


def check_end_sessions_all(actor: User | None, targets: QuerySet) -> None:
    """check_end_sessions for a selection (the admin's action), in one query."""
    check_actor(actor, "change")
    check_manage_all(actor, targets)


def check_lift_lockout(actor: User | None, accounts: QuerySet) -> None:
    """Lifting a lockout lets guessing resume, so it takes permission to change
    users and is refused on accounts above the actor. `accounts` are those the
    lockout protects: the locked account, or every account with failures from
    a locked IP (an unknown login protects none)."""
    check_actor(actor, "change")
    check_manage_all(actor, accounts)


def _refuse_own_factors(actor: User | None, targets: list[User]) -> None:
    # One's own factors are replaced by setting up a new authenticator after
    # passing the current one (the security page), never reset without it.
    if actor is not None and any(target.pk == actor.pk for target in targets):
        raise PermissionDenied(
            "You cannot reset your own two-factor authentication: set up a new "
            "authenticator app on your security page instead."
        )


def check_create_token(
    actor: User | None, *, enrolled: bool = False, passed: bool = False
) -> None:
    """An API token acts as its owner for months: only active staff who may
    see users make one, for themselves, from a session that passed its second
    factor whenever one is set up or required (a stolen password alone must
    not mint a lasting credential)."""
    if actor is None:
        raise PermissionDenied("Only a signed-in account can have API tokens.")
    if not may_sign_in_to_staff_pages(actor):
        raise PermissionDenied(
            "Only active staff who may see users can create API tokens."
        )
    if (enrolled or must_set_up_second_factor(actor)) and not passed:
        raise PermissionDenied(
            "Pass two-factor authentication in this session before creating "
            "an API token."
        )


def check_revoke_token(actor: User | None, owner: User) -> None:
    """Revoking takes power away, so anyone may revoke their own token; another
    account's needs permission to change it (the hierarchy, as for its
    sessions). The system may always."""
    check_end_sessions(actor, owner)
