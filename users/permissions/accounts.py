"""Rules for changing accounts: create, edit, grant, (de)activate, delete, passwords."""

from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from ..managers.access import grants_beyond
from ..models import Suspension, User
from ..pseudonyms import is_pseudonymous
from .base import (
    SUPERUSER_ONLY_FIELDS,
    check_actor,
    check_manage,
    check_manage_all,
    refuse_losing_the_last_superuser,
    refuse_self,
    refuse_superuser_only,
    unrestricted,
)


def check_create(actor: User | None, fields: Mapping[str, Any]) -> None:
    check_actor(actor, "add")
    refuse_superuser_only(
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
    refuse_superuser_only(actor, changed & SUPERUSER_ONLY_FIELDS)
    if changes.get("is_active") is False and target.is_active:
        check_deactivate(actor, target)
    if changes.get("is_active") is True:
        refuse_suspended(target)
    if changes.get("is_superuser") is False and target.is_superuser:
        refuse_losing_the_last_superuser([target], "remove superuser status from")
    staff_after = changes.get("is_staff", target.is_staff)
    if changes.get("is_superuser", target.is_superuser) and not staff_after:
        raise PermissionDenied(
            "A superuser needs staff status to reach the admin: remove superuser "
            "status too, or keep staff status."
        )


def check_grant(
    actor: User | None,
    target: User,
    *,
    groups: Iterable | None = None,
    user_permissions: Iterable | None = None,
) -> None:
    """Setting target's groups and/or direct permissions (None: unchanged).

    The hierarchy applied to what is given: the actor may change target's
    account at all (check_edit: target holds nothing the actor lacks), and
    gives only what the actor holds - no permission it lacks, no group
    carrying one. Taking away is covered by the first part."""
    check_edit(actor, target)
    refusals = grant_refusals(actor, groups=groups, user_permissions=user_permissions)
    if refusals:
        raise PermissionDenied(" ".join(refusals.values()))
    if groups is not None:
        refuse_joining_an_exempt_group(actor, target, groups)


def refuse_joining_an_exempt_group(actor: User | None, target: User, groups) -> None:
    """Joining a group the dormant-account policy exempts is exempting
    oneself, which nobody does (check_set_dormancy_exemption)."""
    if actor is None or actor.pk != target.pk or not settings.DORMANT_EXEMPT_GROUPS:
        return
    ids = [getattr(item, "pk", item) for item in groups]
    joining = Group.objects.filter(pk__in=ids, name__in=settings.DORMANT_EXEMPT_GROUPS)
    name = joining.exclude(user=target).values_list("name", flat=True).first()
    if name is not None:
        raise PermissionDenied(
            f"You cannot join the group “{name}” yourself: its members are "
            "exempt from the dormant-account policy."
        )


def grant_refusals(
    actor: User | None,
    *,
    groups: Iterable | None = None,
    user_permissions: Iterable | None = None,
) -> dict[str, str]:
    """Why each of these grants is beyond the actor, by field ("groups",
    "user_permissions"); empty when the actor holds all of it. Items are
    model instances or ids."""
    if unrestricted(actor) or (groups is None and user_permissions is None):
        return {}
    in_groups, direct = grants_beyond(
        actor,
        group_ids=[getattr(item, "pk", item) for item in groups or ()],
        permission_ids=[getattr(item, "pk", item) for item in user_permissions or ()],
    )
    refusals = {}
    if in_groups:
        lacking: dict[str, list[str]] = {}
        for group, permission in in_groups:
            lacking.setdefault(group, []).append(permission)
        refusals["groups"] = " ".join(
            f"You cannot give the group “{group}”: it grants {_names(names)}, "
            "which you do not have."
            for group, names in lacking.items()
        )
    if direct:
        refusals["user_permissions"] = (
            f"You cannot give {_names(direct)}: you do not have "
            f"{'it' if len(direct) == 1 else 'them'} yourself."
        )
    return refusals


def _names(names: list[str], shown: int = 3) -> str:
    listed = ", ".join(f"“{name}”" for name in names[:shown])
    more = len(names) - shown
    return listed + (f" and {more} more" if more > 0 else "")


def check_group_change(actor: User | None) -> None:
    """A group's permissions reach every member: changing them is a grant."""
    if not unrestricted(actor):
        raise PermissionDenied("Only a superuser can create, change or delete groups.")


def check_activate(actor: User | None, target: User) -> None:
    check_edit(actor, target)
    refuse_suspended(target)


def refuse_suspended(target: User) -> None:
    """A suspension ends by being lifted (with its record), not by activation."""
    if not target.is_active and is_suspended(target):
        raise PermissionDenied(
            f"{target.username} is suspended: lift the suspension to activate it."
        )


def is_suspended(target: User) -> bool:
    # A page that read the account with its suspension (select_related) asks
    # no second time; services judge rows they have just locked and read.
    if User.suspension.is_cached(target):
        return getattr(target, "suspension", None) is not None
    return Suspension.objects.filter(user_id=target.pk).exists()


def check_suspend(actor: User | None, target: User) -> None:
    """Suspending is deactivating, for the hierarchy; a deactivated account
    that is not suspended is activated first (lifting reactivates)."""
    _check_taking_away(actor, target, permission="change", verb="suspend")
    if not target.is_active and not is_suspended(target):
        raise PermissionDenied(
            f"{target.username} is deactivated: activate it before suspending it."
        )


def check_lift_suspension(actor: User | None, target: User) -> None:
    """Lifting reactivates: the rule of activating."""
    check_edit(actor, target)
    if not is_suspended(target):
        raise PermissionDenied(f"{target.username} is not suspended.")


def check_set_active_until(actor: User | None, target: User) -> None:
    """An end of access is a deactivation to come: the rule of deactivating."""
    _check_taking_away(
        actor, target, permission="change", verb="set an end of access for"
    )


def check_deactivate(actor: User | None, target: User) -> None:
    _check_taking_away(actor, target, permission="change", verb="deactivate")


def check_deactivate_all(actor: User | None, targets: QuerySet) -> None:
    check_actor(actor, "change")
    if actor is not None and targets.filter(pk=actor.pk).exists():
        raise PermissionDenied("You cannot deactivate your own account.")
    check_manage_all(actor, targets)
    refuse_losing_the_last_superuser(list(targets.superusers()), "deactivate")


def check_activate_all(actor: User | None, targets: QuerySet) -> None:
    check_actor(actor, "change")
    check_manage_all(actor, targets)
    suspended = targets.filter(is_active=False, suspension__isnull=False)
    names = list(suspended.values_list("username", flat=True)[:4])
    if names:
        raise PermissionDenied(
            f"Suspended ({_names(names)}): lift their suspensions to activate them."
        )


def check_delete_all(actor: User | None, targets: QuerySet) -> None:
    check_actor(actor, "delete")
    if actor is not None and targets.filter(pk=actor.pk).exists():
        raise PermissionDenied("You cannot delete your own account.")
    check_manage_all(actor, targets)
    refuse_losing_the_last_superuser(list(targets.superusers()), "delete")


def check_delete(actor: User | None, target: User) -> None:
    _check_taking_away(actor, target, permission="delete", verb="delete")


def _check_taking_away(actor: User | None, target: User, *, permission, verb):
    """Deactivating or deleting: never yourself, never above you, never the
    last active superuser."""
    check_actor(actor, permission)
    refuse_self(actor, [target], verb)
    check_manage(actor, target)
    refuse_losing_the_last_superuser([target], verb)


def check_set_password(actor: User | None, target: User) -> None:
    check_edit(actor, target)


def check_send_password_link(actor: User | None, target: User) -> None:
    """Mailing a link to set the password is setting it, for the hierarchy."""
    check_set_password(actor, target)
    if not target.is_active:
        raise PermissionDenied(
            f"{target.username} is deactivated: activate the account first."
        )
    if not target.email:
        raise PermissionDenied(f"{target.username} has no email address.")


def check_export_personal_data(actor: User | None, target: User) -> None:
    """A subject-access export holds the account's sign-in history and trail:
    whoever may edit the account may hand it its data, nobody below it."""
    check_edit(actor, target)


def check_erase(actor: User | None, target: User) -> None:
    """Erasing is deleting, for the rules (it cannot be undone either)."""
    _check_taking_away(actor, target, permission="delete", verb="erase")
    if is_pseudonymous(target.email):
        raise PermissionDenied(f"{target.username} is erased already.")


def check_set_dormancy_exemption(actor: User | None, target: User) -> None:
    """Exempting keeps an account's access, ending the exemption may end it:
    the hierarchy's rule of editing, and never one's own (a policy one is
    subject to)."""
    check_edit(actor, target)
    refuse_self(actor, [target], "change the dormancy exemption of")
