"""Who may do what to whom: one rule each, as a raising check and a yes/no predicate.

Services call the checks inside their transaction, on rows they have locked,
so pages, the admin and commands obey the same rules; pages and the admin use
the predicates to offer only what would be allowed. `actor` is the person
acting; None is the system itself (an operator's command), to which only the
rules protecting the site as a whole apply (never lose the last superuser).

The privilege hierarchy: an actor may change another account - its identity,
password, active state, groups, or its existence - only if the actor is a
superuser, or the account is not a superuser and holds no permission (direct,
through a group, or staff status) that the actor lacks.
"""

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from .models import User

# Fields that grant power; only a superuser may hand them out.
SUPERUSER_ONLY_FIELDS = frozenset(
    {"is_staff", "is_superuser", "groups", "user_permissions"}
)
FIELD_LABELS = {
    "is_staff": "staff status",
    "is_superuser": "superuser status",
    "groups": "groups",
    "user_permissions": "permissions",
}
VERBS = {"add": "create", "change": "change", "delete": "delete"}


def may_use_staff_page(user, permission: str) -> bool:
    """Active staff holding the page's model permission. As in the admin,
    permission to change users includes seeing them."""
    if not (user.is_active and user.is_staff):
        return False
    if permission == "users.view_user" and user.has_perm("users.change_user"):
        return True
    return user.has_perm(permission)


def may_sign_in_to_staff_pages(user) -> bool:
    """The staff login (and the admin's) admits those who may open the user
    list, where it lands; anyone else would only meet 403 pages."""
    return may_use_staff_page(user, "users.view_user")


def unrestricted(actor: User | None) -> bool:
    """The system (None) and superusers are bound only by the site-wide rules."""
    return actor is None or actor.is_superuser


def fields_closed_to(actor: User | None) -> frozenset[str]:
    """The fields this actor may not set (forms hide them, services refuse them)."""
    return frozenset() if unrestricted(actor) else SUPERUSER_ONLY_FIELDS


# --- raising checks ---------------------------------------------------------


def check_actor(actor: User | None, action: str) -> None:
    """The actor, as stored now, is active and holds users.<action>_user."""
    if actor is None:
        return
    if not actor.is_active:
        raise PermissionDenied("Your account is not active.")
    if not (actor.is_staff or actor.is_superuser):
        raise PermissionDenied("Only staff can change users.")
    if not actor.has_perm(f"users.{action}_user"):
        raise PermissionDenied(f"You do not have permission to {VERBS[action]} users.")


def check_manage(actor: User | None, target: User) -> None:
    """The privilege hierarchy: the actor outranks (or is) the target."""
    if unrestricted(actor) or actor.pk == target.pk:
        return
    if _is_above(target, actor):
        raise PermissionDenied(_outranked(actor, target))


def check_manage_all(actor: User | None, targets: QuerySet) -> None:
    """check_manage for a whole queryset, in one query."""
    if unrestricted(actor):
        return
    above = list(
        targets.exclude(pk=actor.pk)
        .outranking(actor)
        .order_by("-is_superuser", "pk")
        .values_list("username", "is_superuser")[:4]
    )
    if not above:
        return
    names = ", ".join(name for name, _ in above[:3]) + (
        " and others" if len(above) > 3 else ""
    )
    if above[0][1]:
        raise PermissionDenied(
            f"Only a superuser can change a superuser's account ({names})."
        )
    raise PermissionDenied(
        f"{names}: these accounts hold permissions you do not have, so only a "
        "superuser (or someone holding all of them) can change them."
    )


def check_create(actor: User | None, fields: Mapping[str, Any]) -> None:
    check_actor(actor, "add")
    _refuse_superuser_only(
        actor, {name for name in SUPERUSER_ONLY_FIELDS if fields.get(name)}
    )


def check_edit(actor: User | None, target: User) -> None:
    """Opening target's account for editing at all."""
    check_actor(actor, "change")
    check_manage(actor, target)


def check_change(actor: User | None, target: User, changes: Mapping[str, Any]) -> None:
    """Refuse changes the actor may not make to target (target as stored)."""
    check_edit(actor, target)
    changed = {
        name for name, value in changes.items() if getattr(target, name) != value
    }
    _refuse_superuser_only(actor, changed & SUPERUSER_ONLY_FIELDS)
    if changes.get("is_active") is False and target.is_active:
        check_deactivate(actor, target)
    if changes.get("is_superuser") is False and target.is_superuser:
        _refuse_losing_the_last_superuser([target], "remove superuser status from")
    staff_after = changes.get("is_staff", target.is_staff)
    if changes.get("is_superuser", target.is_superuser) and not staff_after:
        raise PermissionDenied(
            "A superuser needs staff status to reach the admin: remove superuser "
            "status too, or keep staff status."
        )


def check_grant(actor: User | None, target: User, fields: Iterable[str] = ("groups",)):
    """Setting groups or direct permissions: superusers only."""
    check_edit(actor, target)
    _refuse_superuser_only(actor, set(fields) & SUPERUSER_ONLY_FIELDS)


def check_group_change(actor: User | None) -> None:
    """A group's permissions reach every member: changing them is a grant."""
    if not unrestricted(actor):
        raise PermissionDenied("Only a superuser can create, change or delete groups.")


def check_activate(actor: User | None, target: User) -> None:
    check_edit(actor, target)


def check_deactivate(actor: User | None, target: User) -> None:
    _check_taking_away(actor, target, permission="change", verb="deactivate")


def check_deactivate_all(actor: User | None, targets: QuerySet) -> None:
    check_actor(actor, "change")
    if actor is not None and targets.filter(pk=actor.pk).exists():
        raise PermissionDenied("You cannot deactivate your own account.")
    check_manage_all(actor, targets)
    _refuse_losing_the_last_superuser(list(targets.superusers()), "deactivate")


def check_activate_all(actor: User | None, targets: QuerySet) -> None:
    check_actor(actor, "change")
    check_manage_all(actor, targets)


def check_delete(actor: User | None, target: User) -> None:
    _check_taking_away(actor, target, permission="delete", verb="delete")


def _check_taking_away(actor: User | None, target: User, *, permission, verb):
    """Deactivating or deleting: never yourself, never above you, never the
    last active superuser."""
    check_actor(actor, permission)
    _refuse_self(actor, [target], verb)
    check_manage(actor, target)
    _refuse_losing_the_last_superuser([target], verb)


def check_set_password(actor: User | None, target: User) -> None:
    check_edit(actor, target)


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


# --- yes/no predicates, for offering only what would be allowed --------------


def _predicate(check: Callable[..., None]) -> Callable[..., bool]:
    def allowed(*args) -> bool:
        try:
            check(*args)
        except PermissionDenied:
            return False
        return True

    allowed.__name__ = check.__name__.replace("check_", "can_")
    allowed.__doc__ = f"True if {check.__name__} would let this through."
    return allowed


can_edit = _predicate(check_edit)
can_set_password = _predicate(check_set_password)
can_end_sessions = _predicate(check_end_sessions)
can_activate = _predicate(check_activate)
can_deactivate = _predicate(check_deactivate)
can_delete = _predicate(check_delete)
can_grant = _predicate(check_grant)
can_change_groups = _predicate(check_group_change)
can_reset_mfa = _predicate(check_reset_mfa)
can_lift_lockout = _predicate(check_lift_lockout)


def offered_actions(actor: User, target: User) -> dict[str, bool]:
    """What a page may offer actor on target's account."""
    return {
        "edit": can_edit(actor, target),
        "password": can_set_password(actor, target),
        "activate": not target.is_active and can_activate(actor, target),
        "deactivate": target.is_active and can_deactivate(actor, target),
        "delete": can_delete(actor, target),
        "reset_mfa": can_reset_mfa(actor, target),
        "end_sessions": can_end_sessions(actor, target),
    }


# --- the pieces ---------------------------------------------------------------


def _is_above(target: User, actor: User) -> bool:
    """One query per target instance and actor: a page asks several predicates
    about one account; services ask on rows they have just read under lock."""
    known = target.__dict__.setdefault("_noogh_above", {})
    if actor.pk not in known:
        known[actor.pk] = User.objects.filter(pk=target.pk).outranking(actor).exists()
    return known[actor.pk]


def _outranked(actor: User, target: User) -> str:
    if target.is_superuser:
        return "Only a superuser can change a superuser's account."
    return (
        f"{target.get_username()} holds permissions you do not have, so only a "
        "superuser (or someone holding all of them) can change this account."
    )


def _refuse_self(actor: User | None, targets: list[User], verb: str) -> None:
    if actor is not None and any(target.pk == actor.pk for target in targets):
        raise PermissionDenied(f"You cannot {verb} your own account.")


def _refuse_own_factors(actor: User | None, targets: list[User]) -> None:
    # One's own factors are replaced by setting up a new authenticator after
    # passing the current one (the security page), never reset without it.
    if actor is not None and any(target.pk == actor.pk for target in targets):
        raise PermissionDenied(
            "You cannot reset your own two-factor authentication: set up a new "
            "authenticator app on your security page instead."
        )


def _refuse_superuser_only(actor: User | None, fields: set[str]) -> None:
    if fields and not unrestricted(actor):
        names = ", ".join(sorted(FIELD_LABELS[name] for name in fields))
        raise PermissionDenied(f"Only a superuser can set {names}.")


def _refuse_losing_the_last_superuser(targets: list[User], verb: str) -> None:
    leaving = {target.pk for target in targets if target.is_superuser}
    if not leaving:
        return
    # The services have locked every active superuser row already (in id
    # order, with the targets); this re-reads them under that lock.
    remaining = set(User.objects.lock_active_superuser_ids()) - leaving
    if not remaining:
        raise PermissionDenied(
            f"You cannot {verb} the last active superuser: the site would have none."
        )
