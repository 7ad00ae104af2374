"""Groups are grants: their permissions reach every member, so only superusers
change them, and every change is in the trail with the old and new values."""

from collections.abc import Iterable

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from .. import permissions
from ..audit import trail
from ..models import AuditEvent, User
from .base import FROM_REQUEST, end_sessions_of, lock, resolve_actor


def _label(group: Group) -> str:
    return f"group {group.name}"


@transaction.atomic
def group_save(
    *, actor=FROM_REQUEST, group: Group, permissions_: Iterable[Permission] | None
) -> Group:
    """Create or rename a group and set its permissions (None: leave them)."""
    # The members' rows too, in the one global order (their sessions may end).
    members = User.objects.filter(groups=group) if group.pk else None
    _, actor = lock(None, resolve_actor(actor), matching=members)
    permissions.check_group_change(actor)
    creating = group.pk is None
    before_name = None if creating else Group.objects.get(pk=group.pk).name
    before = set() if creating else {str(p) for p in group.permissions.all()}
    group.save()
    if permissions_ is not None:
        group.permissions.set(permissions_)
    after = {str(p) for p in group.permissions.all()}
    changes = {}
    if before_name != group.name:
        changes["name"] = [before_name, group.name]
    if before != after:
        changes["permissions"] = [sorted(before), sorted(after)]
    if changes:
        trail.record(
            AuditEvent.Action.GRANT,
            None,
            changes,
            actor=actor,
            target_label=_label(group),
        )
    if before - after:
        # Members just lost power: their sessions end, as on any demotion.
        end_sessions_of(User.objects.filter(groups=group))
    return group


@transaction.atomic
def group_delete(*, actor=FROM_REQUEST, group: Group) -> None:
    members = User.objects.filter(groups=group)
    _, actor = lock(None, resolve_actor(actor), matching=members)
    permissions.check_group_change(actor)
    held = sorted(str(p) for p in group.permissions.all())
    end_sessions_of(User.objects.filter(groups=group))
    trail.record(
        AuditEvent.Action.GRANT,
        None,
        {"deleted group": [group.name, None], "permissions": [held, []]},
        actor=actor,
        target_label=_label(group),
    )
    group.delete()
