"""What an account holds and lacks: its permissions, and the permissions,
groups and grants beyond it (the privilege hierarchy's measure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission
from django.db.models import Exists, OuterRef, Q, QuerySet

if TYPE_CHECKING:
    from ..models import User


def permissions_of(user: User) -> QuerySet[Permission]:
    """The permissions user holds, directly or through a group (superuser
    status aside), each once, by app and name; `direct` says which are given
    to user itself."""
    held = Permission.objects.filter(Q(user=user.pk) | Q(group__user=user.pk))
    given = Permission.user_set.through.objects.filter(
        user=user.pk, permission=OuterRef("pk")
    )
    return (
        Permission.objects.filter(pk__in=held.values("pk"))
        .annotate(direct=Exists(given))
        .select_related("content_type")
        .order_by("content_type__app_label", "content_type__model", "codename")
    )


def permissions_beyond(actor: User) -> QuerySet[Permission]:
    """The permissions actor does not hold (the hierarchy's measure)."""
    held = Permission.objects.filter(Q(user=actor.pk) | Q(group__user=actor.pk))
    return Permission.objects.exclude(pk__in=held.values("pk"))


def groups_beyond(actor: User) -> QuerySet[Group]:
    """The groups giving a permission actor does not hold."""
    return Group.objects.filter(permissions__in=permissions_beyond(actor)).distinct()


def grants_beyond(
    actor: User, *, group_ids: Iterable[int], permission_ids: Iterable[int]
) -> tuple[list[tuple[str, str]], list[str]]:
    """What of these groups and permissions actor lacks, in two queries: the
    (group name, permission name) pairs of groups giving a permission beyond
    actor, and the names of the permissions beyond actor."""
    beyond = permissions_beyond(actor)
    in_groups = list(
        beyond.filter(group__in=list(group_ids))
        .order_by("group__name", "name")
        .values_list("group__name", "name")
    )
    direct = list(
        beyond.filter(pk__in=list(permission_ids))
        .order_by("name")
        .values_list("name", flat=True)
    )
    return in_groups, direct
