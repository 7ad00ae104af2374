"""What an account holds and lacks: its permissions, and the permissions,
groups and grants beyond it (the privilege hierarchy's measure)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, Permission
from django.db.models import Exists, OuterRef, Q, QuerySet

if TYPE_CHECKING:
    from ..models import User


def held_by(user_pk) -> Q:
    """Permissions given to the account or to one of its groups: two id
    lists from the link tables, each read by the account's id. The one OR
    over both joins (Q(user=...) | Q(group__user=...)) made PostgreSQL join
    every membership of every group for each permission: 327 ms for one
    account's page at 1M users with a group of 10,000 (bench "detail page")."""
    direct = Permission.user_set.through.objects.filter(user=user_pk)
    through_groups = Permission.group_set.through.objects.filter(group__user=user_pk)
    return Q(pk__in=direct.values("permission")) | Q(
        pk__in=through_groups.values("permission")
    )


def permissions_of(user: User) -> QuerySet[Permission]:
    """The permissions user holds, directly or through a group (superuser
    status aside), each once, by app and name; `direct` says which are given
    to user itself."""
    given = Permission.user_set.through.objects.filter(
        user=user.pk, permission=OuterRef("pk")
    )
    return (
        Permission.objects.filter(held_by(user.pk))
        .annotate(direct=Exists(given))
        .select_related("content_type")
        .order_by("content_type__app_label", "content_type__model", "codename")
    )


def permissions_beyond(actor: User) -> QuerySet[Permission]:
    """The permissions actor does not hold (the hierarchy's measure)."""
    return Permission.objects.exclude(held_by(actor.pk))


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
