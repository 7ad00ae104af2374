"""Guard rails, enforced in the services whatever the entry point."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied

from users import services
from users.models import User

from .factories import SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db


def test_last_active_superuser_cannot_be_deactivated_even_by_the_system():
    root = SuperuserFactory()
    with pytest.raises(PermissionDenied, match="last active superuser"):
        services.user_deactivate(user=root)
    with pytest.raises(PermissionDenied, match="last active superuser"):
        services.user_update(user=root, is_superuser=False)
    with pytest.raises(PermissionDenied, match="last active superuser"):
        services.user_delete(user=root)
    root.refresh_from_db()
    assert root.is_active and root.is_superuser


def test_a_superuser_can_go_when_another_remains():
    first, second = SuperuserFactory(), SuperuserFactory()
    services.user_deactivate(actor=first, user=second)
    assert not User.objects.get(pk=second.pk).is_active
    with pytest.raises(PermissionDenied):
        services.user_delete(actor=second, user=first)


def test_inactive_superusers_do_not_count():
    root = SuperuserFactory()
    SuperuserFactory(is_active=False)
    with pytest.raises(PermissionDenied):
        services.user_deactivate(user=root)


def test_staff_cannot_touch_superusers_or_grant_power():
    staff, root, plain = (
        staff_with("view_user", "add_user", "change_user", "delete_user"),
        SuperuserFactory(),
        UserFactory(),
    )
    with pytest.raises(PermissionDenied, match="Only a superuser"):
        services.user_update(actor=staff, user=root, full_name="x")
    with pytest.raises(PermissionDenied, match="Only a superuser"):
        services.user_set_password(actor=staff, user=root, password="n3w-passw0rd!")
    with pytest.raises(PermissionDenied, match="superuser status"):
        services.user_update(actor=staff, user=plain, is_superuser=True)
    with pytest.raises(PermissionDenied, match="staff status"):
        services.user_update(actor=staff, user=staff, is_staff=False)
    with pytest.raises(PermissionDenied, match="staff status"):
        services.user_create(
            actor=staff, username="new", email="new@example.com", is_staff=True
        )
    # Groups and permissions follow the hierarchy: only what the actor holds.
    admins = Group.objects.create(name="admins")
    admins.permissions.set(Permission.objects.filter(codename="change_group"))
    with pytest.raises(PermissionDenied, match="the group “admins”"):
        services.user_set_groups_and_permissions(
            actor=staff, user=plain, groups=[admins]
        )
    with pytest.raises(PermissionDenied, match="“Can add group”"):
        services.user_set_groups_and_permissions(
            actor=staff,
            user=plain,
            user_permissions=Permission.objects.filter(codename="add_group"),
        )
    assert not plain.groups.exists() and not plain.user_permissions.exists()
    assert not User.objects.get(pk=plain.pk).is_superuser


def test_bulk_deactivation_refuses_self_and_changes_nothing():
    staff = staff_with("view_user", "add_user", "change_user", "delete_user")
    others = UserFactory.create_batch(3)
    with pytest.raises(PermissionDenied, match="your own account"):
        services.users_set_active(actor=staff, users=User.objects.all(), active=False)
    assert all(User.objects.get(pk=u.pk).is_active for u in others)
    changed = services.users_set_active(
        actor=staff, users=User.objects.exclude(pk=staff.pk), active=False
    )
    assert changed == 3


def test_bulk_deactivation_keeps_the_last_superuser():
    root = SuperuserFactory()
    staff = staff_with("view_user", "add_user", "change_user", "delete_user")
    with pytest.raises(PermissionDenied):
        services.users_set_active(
            actor=None, users=User.objects.filter(pk=root.pk), active=False
        )
    with pytest.raises(PermissionDenied, match="Only a superuser"):
        services.users_set_active(
            actor=staff, users=User.objects.filter(pk=root.pk), active=False
        )


def test_the_own_password_service_changes_only_the_actors_password():
    staff = staff_with()
    services.user_change_own_password(actor=staff, password="n3w-own-passw0rd")
    staff.refresh_from_db()
    assert staff.check_password("n3w-own-passw0rd")
    with pytest.raises(PermissionDenied):
        services.user_change_own_password(actor=None, password="n3w-own-passw0rd")
    staff.is_active = False
    staff.save()
    with pytest.raises(PermissionDenied, match="not active"):
        services.user_change_own_password(actor=staff, password="an0ther-passw0rd")
