"""The pieces every rule is made of: who counts as staff, the actor check, the
privilege hierarchy (one query, `User.objects.outranking`), and the refusals
that protect the site as a whole."""

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet, prefetch_related_objects

from ..models import User

# Fields that grant power wholesale; only a superuser may hand them out.
# (Groups and permissions follow the hierarchy: accounts.check_grant.)
SUPERUSER_ONLY_FIELDS = frozenset({"is_staff", "is_superuser"})
FIELD_LABELS = {
    "is_staff": "staff status",
    "is_superuser": "superuser status",
    "groups": "groups",
    "user_permissions": "permissions",
}
VERBS = {"add": "create", "change": "change", "delete": "delete"}
# Where judge_page leaves the active superusers it read for a page's rows.
ACTIVE_SUPERUSERS_READ = "_noogh_active_superusers"


def may_use_staff_page(user, permission: str) -> bool:
    """Active staff holding the page's model permission. As in the admin,
    permission to change users includes seeing them."""
    if not (user.is_active and user.is_staff):
        return False
    if permission == "users.view_user" and user.has_perm("users.change_user"):
        return True
    return user.has_perm(permission)


def permission_label(permission: str) -> str:
    """ "users.view_user" -> "Can view user", as Django names the permission."""
    app_label, codename = permission.split(".", 1)
    action, model_name = codename.split("_", 1)
    model = apps.get_model(app_label, model_name)
    return f"Can {action} {model._meta.verbose_name}"


def missing_for_staff_page(user, permission: str) -> str:
    """Say what may_use_staff_page found missing, for the 403 page."""
    missing = []
    if not user.is_active:
        missing.append("an active account")
    if not user.is_staff:
        missing.append("staff status")
    if not user.has_perm(permission) and not (
        permission == "users.view_user" and user.has_perm("users.change_user")
    ):
        missing.append(f"the permission “{permission_label(permission)}”")
    return f"This page needs {' and '.join(missing)}, which your account lacks."


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
    if is_above(target, actor):
        raise PermissionDenied(outranked(actor, target))


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


def judge_page(actor: User, targets: list[User]) -> None:
    """Read, for a whole page of accounts, what the predicates would otherwise
    query row by row: which of them outrank the actor (one query) and, when
    one is a superuser, the active superusers (one more), and the
    suspensions of the deactivated ones (one more: activating a suspended
    account is refused, and a page of deactivated accounts asked row by row).
    Pages only: the services judge rows they have just read under lock."""
    if not targets:
        return
    deactivated = [
        target
        for target in targets
        if not target.is_active and not User.suspension.is_cached(target)
    ]
    prefetch_related_objects(deactivated, "suspension")
    above = set()
    if not unrestricted(actor):
        ids = [target.pk for target in targets]
        above = set(
            User.objects.filter(pk__in=ids)
            .outranking(actor)
            .values_list("pk", flat=True)
        )
    active_superusers = None
    # Only the unrestricted get as far as the last-superuser rule: for anyone
    # else every superuser is above them.
    if unrestricted(actor) and any(target.is_superuser for target in targets):
        active_superusers = User.objects.lock_active_superuser_ids()
    for target in targets:
        target.__dict__.setdefault("_noogh_above", {})[actor.pk] = target.pk in above
        if active_superusers is not None:
            target.__dict__[ACTIVE_SUPERUSERS_READ] = active_superusers


def is_above(target: User, actor: User) -> bool:
    """One query per target instance and actor: a page asks several predicates
    about one account; services ask on rows they have just read under lock."""
    known = target.__dict__.setdefault("_noogh_above", {})
    if actor.pk not in known:
        known[actor.pk] = User.objects.filter(pk=target.pk).outranking(actor).exists()
    return known[actor.pk]


def outranked(actor: User, target: User) -> str:
    if target.is_superuser:
        return "Only a superuser can change a superuser's account."
    return (
        f"{target.get_username()} holds permissions you do not have, so only a "
        "superuser (or someone holding all of them) can change this account."
    )


def refuse_self(actor: User | None, targets: list[User], verb: str) -> None:
    if actor is not None and any(target.pk == actor.pk for target in targets):
        raise PermissionDenied(f"You cannot {verb} your own account.")


def refuse_superuser_only(actor: User | None, fields: set[str]) -> None:
    if fields and not unrestricted(actor):
        names = ", ".join(sorted(FIELD_LABELS[name] for name in fields))
        raise PermissionDenied(f"Only a superuser can set {names}.")


def refuse_losing_the_last_superuser(targets: list[User], verb: str) -> None:
    leaving = {target.pk for target in targets if target.is_superuser}
    if not leaving:
        return
    # The services have locked every active superuser row already (in id
    # order, with the targets); this re-reads them under that lock. A page's
    # predicates may have read them once for all its rows (judge_page).
    known = targets[0].__dict__.get(ACTIVE_SUPERUSERS_READ)
    active = known if known is not None else User.objects.lock_active_superuser_ids()
    remaining = set(active) - leaving
    if not remaining:
        raise PermissionDenied(
            f"You cannot {verb} the last active superuser: the site would have none."
        )
