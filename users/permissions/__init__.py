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

Split by concern: base (the actor, the hierarchy, site-wide refusals), accounts,
signin (factors, sessions, lockouts, own password); this module holds the
predicates and what a page may offer.
"""

from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from ..models import User
from .accounts import (
    check_activate,
    check_activate_all,
    check_change,
    check_create,
    check_deactivate,
    check_deactivate_all,
    check_delete,
    check_delete_all,
    check_edit,
    check_erase,
    check_export_personal_data,
    check_grant,
    check_group_change,
    check_lift_suspension,
    check_send_password_link,
    check_set_active_until,
    check_set_dormancy_exemption,
    check_set_password,
    check_suspend,
    grant_refusals,
    is_suspended,
)
from .base import (
    FIELD_LABELS,
    SUPERUSER_ONLY_FIELDS,
    VERBS,
    check_actor,
    check_manage,
    check_manage_all,
    fields_closed_to,
    judge_page,
    may_sign_in_to_staff_pages,
    may_use_staff_page,
    missing_for_staff_page,
    unrestricted,
)
from .signin import (
    check_change_own_password,
    check_create_token,
    check_end_sessions,
    check_end_sessions_all,
    check_lift_lockout,
    check_own_factors,
    check_reset_mfa,
    check_reset_mfa_all,
    check_revoke_token,
    must_set_up_second_factor,
)


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


can_send_password_link = _predicate(check_send_password_link)


can_export_personal_data = _predicate(check_export_personal_data)


can_erase = _predicate(check_erase)


can_end_sessions = _predicate(check_end_sessions)


can_activate = _predicate(check_activate)


can_deactivate = _predicate(check_deactivate)


can_delete = _predicate(check_delete)


can_grant = _predicate(check_grant)


can_change_groups = _predicate(check_group_change)


can_reset_mfa = _predicate(check_reset_mfa)


can_lift_lockout = _predicate(check_lift_lockout)


can_revoke_token = _predicate(check_revoke_token)


can_suspend = _predicate(check_suspend)


can_lift_suspension = _predicate(check_lift_suspension)


can_set_active_until = _predicate(check_set_active_until)


can_set_dormancy_exemption = _predicate(check_set_dormancy_exemption)


def offered_actions(actor: User, target: User) -> dict[str, bool]:
    """What a page may offer actor on target's account."""
    return {
        "edit": can_edit(actor, target),
        "password": can_set_password(actor, target),
        "password_link": can_send_password_link(actor, target),
        "personal_data": can_export_personal_data(actor, target),
        "erase": can_erase(actor, target),
        "activate": not target.is_active and can_activate(actor, target),
        "deactivate": target.is_active and can_deactivate(actor, target),
        "delete": can_delete(actor, target),
        "reset_mfa": can_reset_mfa(actor, target),
        "end_sessions": can_end_sessions(actor, target),
        "grant": can_grant(actor, target),
        "suspend": can_suspend(actor, target),
        "lift_suspension": can_lift_suspension(actor, target),
        "active_until": can_set_active_until(actor, target),
        "dormancy_exemption": can_set_dormancy_exemption(actor, target),
    }


BULK_CHECKS = {
    "activate": check_activate_all,
    "deactivate": check_deactivate_all,
    "delete": check_delete_all,
    "end_sessions": check_end_sessions_all,
}


def check_bulk(actor: User | None, action: str, targets: QuerySet) -> None:
    """The rule of a bulk action (users.services.bulk) for all its accounts."""
    BULK_CHECKS[action](actor, targets)


can_bulk = _predicate(check_bulk)


def offered_row_actions(actor: User, targets: list[User]) -> None:
    """Set `offered` ({"activate": bool, "deactivate": bool}) on each account
    of a list page, as offered_actions would say, in at most two queries."""
    may_change = actor.has_perm("users.change_user")
    if may_change:
        judge_page(actor, targets)
    for target in targets:
        target.offered = {
            "activate": may_change
            and not target.is_active
            and can_activate(actor, target),
            "deactivate": may_change
            and target.is_active
            and can_deactivate(actor, target),
        }


__all__ = [
    "FIELD_LABELS",
    "SUPERUSER_ONLY_FIELDS",
    "VERBS",
    "can_activate",
    "can_bulk",
    "can_change_groups",
    "can_deactivate",
    "can_delete",
    "can_edit",
    "can_end_sessions",
    "can_erase",
    "can_export_personal_data",
    "can_grant",
    "can_lift_lockout",
    "can_lift_suspension",
    "can_reset_mfa",
    "can_revoke_token",
    "can_send_password_link",
    "can_set_active_until",
    "can_set_dormancy_exemption",
    "can_set_password",
    "can_suspend",
    "check_activate",
    "check_activate_all",
    "check_actor",
    "check_bulk",
    "check_change",
    "check_change_own_password",
    "check_create",
    "check_create_token",
    "check_deactivate",
    "check_deactivate_all",
    "check_delete",
    "check_delete_all",
    "check_edit",
    "check_end_sessions",
    "check_end_sessions_all",
    "check_erase",
    "check_export_personal_data",
    "check_grant",
    "check_group_change",
    "check_lift_lockout",
    "check_lift_suspension",
    "check_manage",
    "check_manage_all",
    "check_own_factors",
    "check_reset_mfa",
    "check_reset_mfa_all",
    "check_revoke_token",
    "check_send_password_link",
    "check_set_active_until",
    "check_set_dormancy_exemption",
    "check_set_password",
    "check_suspend",
    "fields_closed_to",
    "grant_refusals",
    "is_suspended",
    "judge_page",
    "may_sign_in_to_staff_pages",
    "may_use_staff_page",
    "missing_for_staff_page",
    "must_set_up_second_factor",
    "offered_actions",
    "offered_row_actions",
    "unrestricted",
]
