"""Losing access or power ends an account's sessions, for good (findings 8, 9)."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from users import services
from users.models import AuditEvent

from .factories import PASSWORD, SuperuserFactory, edit_data, staff_with

pytestmark = pytest.mark.django_db
LIST = reverse("users:list")
NEW_PASSWORD = "a-new-pass-8462"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(LIST).status_code == 200
    return client


def signed_out(client: Client) -> bool:
    response = client.get(LIST)
    return response.status_code == 302 and "login" in response["Location"]


def test_deactivation_ends_sessions_even_after_reactivation(superuser_client):
    target = staff_with("view_user")
    theirs = signed_in(target)
    superuser_client.post(reverse("users:deactivate", args=[target.pk]))
    superuser_client.post(reverse("users:activate", args=[target.pk]))
    assert signed_out(theirs)
    target.refresh_from_db()
    assert not signed_out(signed_in(target))  # a new login works


def test_bulk_deactivation_in_the_admin_ends_sessions(superuser_client):
    target = staff_with("view_user")
    theirs = signed_in(target)
    superuser_client.post(
        reverse("admin:users_user_changelist"),
        {"action": "deactivate_selected", "_selected_action": [target.pk]},
    )
    services.user_activate(actor=None, user=target)
    assert signed_out(theirs)


def test_demotion_ends_sessions(superuser_client):
    target = staff_with("view_user", "change_user")
    theirs = signed_in(target)
    data = edit_data(target, is_staff=False)
    superuser_client.post(reverse("users:edit", args=[target.pk]), data)
    services.user_update(actor=None, user=target, is_staff=True)
    assert signed_out(theirs)


def test_losing_a_group_permission_ends_the_members_sessions(superuser_client):
    group = Group.objects.create(name="viewers")
    view = Permission.objects.get(codename="view_user")
    change = Permission.objects.get(codename="change_user")
    group.permissions.set([view, change])
    target = staff_with()
    target.groups.add(group)
    theirs = signed_in(target)
    superuser_client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "viewers", "permissions": [view.pk]},
    )
    assert list(group.permissions.all()) == [view]
    assert signed_out(theirs)


def test_a_password_set_by_staff_ends_the_accounts_sessions(superuser_client):
    target = staff_with("view_user")
    theirs = signed_in(target)
    superuser_client.post(
        reverse("users:password", args=[target.pk]),
        {
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert signed_out(theirs)


@pytest.mark.parametrize(
    "url_name", ["users:password", "admin:auth_user_password_change"]
)
def test_your_own_password_change_keeps_you_signed_in(client, url_name):
    SuperuserFactory()
    me = staff_with("view_user", "change_user")
    client.force_login(me)
    other_device = signed_in(me)
    response = client.post(
        reverse(url_name, args=[me.pk]),
        {
            "usable_password": "true",
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.check_password(NEW_PASSWORD)
    assert client.get(LIST).status_code == 200
    assert signed_out(other_device)


def test_an_import_that_deactivates_ends_sessions(tmp_path):
    from django.core.management import call_command

    SuperuserFactory()
    target = staff_with("view_user")
    theirs = signed_in(target)
    path = tmp_path / "users.csv"
    path.write_text(
        f"username,email,full_name,is_active\n{target.username},{target.email},X,false\n"
    )
    call_command("import_users", str(path), "--on-conflict", "update")
    services.user_activate(actor=None, user=target)
    assert signed_out(theirs)


@pytest.mark.parametrize(
    "codenames", [(), ("view_user",), ("view_user", "change_user")]
)
def test_your_own_password_in_the_admin_is_audited_and_ends_other_sessions(
    client, codenames
):
    me = staff_with(*codenames)
    client.force_login(me)
    other_device = Client()
    other_device.force_login(me)
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.check_password(NEW_PASSWORD)
    event = AuditEvent.objects.get(target_id=me.pk, action=AuditEvent.Action.PASSWORD)
    assert (event.actor_label, event.changes) == (
        me.username,
        {"password": [None, "set"]},
    )
    assert client.get(reverse("admin:index")).status_code == 200  # still signed in
    assert other_device.get(reverse("admin:index")).status_code == 302


def test_a_wrong_old_password_in_the_admin_changes_nothing(client):
    me = staff_with()
    client.force_login(me)
    response = client.post(
        reverse("admin:password_change"),
        {
            "old_password": "wrong",
            "new_password1": NEW_PASSWORD,
            "new_password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    me.refresh_from_db()
    assert not me.check_password(NEW_PASSWORD)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PASSWORD).exists()
