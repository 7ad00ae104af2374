"""Who may do what to whom.

Services call these checks inside their transaction, so the admin, the HTML views
and the management commands all obey the same rules. `actor` is the staff member
acting; None means the system itself (a management command run by an operator),
to which only the rules protecting the site as a whole apply.
"""

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied

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


def may_use_staff_page(user, permission: str) -> bool:
    """Active staff holding the page's model permission. As in the admin,
    permission to change users includes seeing them."""
    if not (user.is_active and user.is_staff):
        return False
    if permission == "users.view_user" and user.has_perm("users.change_user"):
        return True
    return user.has_perm(permission)


def is_superuser(actor: User | None) -> bool:
    return actor is None or actor.is_superuser


def superuser_only_fields(actor: User | None) -> frozenset[str]:
    """The fields this actor may not edit (forms hide them, services refuse them)."""
    return frozenset() if is_superuser(actor) else SUPERUSER_ONLY_FIELDS


def check_create(actor: User | None, fields: Mapping[str, Any]) -> None:
    granted = {name for name in SUPERUSER_ONLY_FIELDS if fields.get(name)}
    _refuse_superuser_only(actor, granted)


def check_change(actor: User | None, target: User, changes: Mapping[str, Any]) -> None:
    """Refuse changes the actor may not make to target (target as stored)."""
    _refuse_editing_a_superuser(actor, target)
    changed = {
        name for name, value in changes.items() if getattr(target, name) != value
    }
    _refuse_superuser_only(actor, changed & SUPERUSER_ONLY_FIELDS)
    if changes.get("is_active") is False and target.is_active:
        check_deactivate(actor, target)
    if changes.get("is_superuser") is False and target.is_superuser:
        _refuse_losing_the_last_superuser([target], "remove superuser status from")


def check_grant(actor: User | None, target: User, fields: Iterable[str]) -> None:
    """Refuse setting groups or permissions unless the actor is a superuser."""
    _refuse_editing_a_superuser(actor, target)
    _refuse_superuser_only(actor, set(fields) & SUPERUSER_ONLY_FIELDS)


def check_deactivate(actor: User | None, target: User) -> None:
    check_deactivate_many(actor, [target])


def check_deactivate_many(actor: User | None, targets: Iterable[User]) -> None:
    targets = list(targets)
    _refuse_self(actor, targets, "deactivate")
    for target in targets:
        _refuse_editing_a_superuser(actor, target)
    _refuse_losing_the_last_superuser(targets, "deactivate")


def check_delete(actor: User | None, target: User) -> None:
    _refuse_self(actor, [target], "delete")
    _refuse_editing_a_superuser(actor, target)
    _refuse_losing_the_last_superuser([target], "delete")


def check_edit(actor: User | None, target: User) -> None:
    """Refuse opening target's account for editing at all."""
    _refuse_editing_a_superuser(actor, target)


def check_set_password(actor: User | None, target: User) -> None:
    _refuse_editing_a_superuser(actor, target)


def _refuse_self(actor: User | None, targets: list[User], verb: str) -> None:
    if actor is not None and any(target.pk == actor.pk for target in targets):
        raise PermissionDenied(f"You cannot {verb} your own account.")


def _refuse_editing_a_superuser(actor: User | None, target: User) -> None:
    if target.is_superuser and not is_superuser(actor):
        raise PermissionDenied("Only a superuser can change a superuser's account.")


def _refuse_superuser_only(actor: User | None, fields: set[str]) -> None:
    if fields and not is_superuser(actor):
        names = ", ".join(sorted(FIELD_LABELS[name] for name in fields))
        raise PermissionDenied(f"Only a superuser can set {names}.")


def _refuse_losing_the_last_superuser(targets: list[User], verb: str) -> None:
    leaving = {target.pk for target in targets if target.is_superuser}
    if not leaving:
        return
    # Locks every active superuser row, so two staff removing the last two
    # superusers at once cannot both succeed.
    remaining = set(User.objects.lock_active_superuser_ids()) - leaving
    if not remaining:
        raise PermissionDenied(
            f"You cannot {verb} the last active superuser: the site would have none."
        )
