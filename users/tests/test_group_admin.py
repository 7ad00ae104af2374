"""Groups are grants (finding 5): only superusers change them, and it is audited."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from users.models import AuditEvent

from .factories import SuperuserFactory, staff_with

pytestmark = pytest.mark.django_db


def group_manager():
    staff = staff_with("view_user")
    staff.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="auth", codename__endswith="_group"
        )
    )
    return staff


def test_staff_with_group_permissions_cannot_grant_through_a_group(client):
    staff = group_manager()
    group = Group.objects.create(name="mine")
    staff.groups.add(group)
    delete_user = Permission.objects.get(codename="delete_user")
    client.force_login(staff)
    url = reverse("admin:auth_group_change", args=[group.pk])
    client.post(url, {"name": "mine", "permissions": [delete_user.pk]})
    assert not group.permissions.exists()
    client.post(reverse("admin:auth_group_add"), {"name": "new", "permissions": []})
    assert not Group.objects.filter(name="new").exists()
    client.post(reverse("admin:auth_group_delete", args=[group.pk]), {"post": "yes"})
    assert Group.objects.filter(pk=group.pk).exists()
    assert client.get(url).status_code == 200  # viewing stays allowed


def test_a_superusers_group_change_is_audited_old_to_new(client):
    root = SuperuserFactory(username="root")
    group = Group.objects.create(name="helpers")
    view = Permission.objects.get(codename="view_user")
    change = Permission.objects.get(codename="change_user")
    group.permissions.set([view])
    client.force_login(root)
    client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "helpers", "permissions": [view.pk, change.pk]},
    )
    event = AuditEvent.objects.get(action="grant")
    assert (event.actor_label, event.target_label) == ("root", "group helpers")
    assert event.changes == {
        "permissions": [[str(view)], sorted([str(view), str(change)])]
    }
