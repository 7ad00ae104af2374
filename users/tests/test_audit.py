"""The audit trail: every write, from every entry point, with actor, IP and diff."""

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from users import services
from users.models import AuditEvent, User

from .factories import SuperuserFactory, UserFactory, edit_data

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


def test_html_create_update_and_delete_are_audited(client):
    root = SuperuserFactory(username="root")
    client.force_login(root)
    client.post(
        reverse("users:create"),
        {"username": "grace", "email": "grace@navy.mil", "is_active": "on"},
        REMOTE_ADDR="203.0.113.7",
    )
    grace = User.objects.get_by_username("grace")
    event = last_event()
    assert (event.action, event.actor_label, event.target_id) == (
        Action.CREATE,
        "root",
        grace.pk,
    )
    assert event.ip == "203.0.113.7"

    client.post(
        reverse("users:edit", args=[grace.pk]), edit_data(grace, full_name="Grace H")
    )
    assert last_event().changes == {"full_name": ["", "Grace H"]}

    client.post(reverse("users:deactivate", args=[grace.pk]))
    assert last_event().changes == {"is_active": [True, False]}

    client.post(reverse("users:delete", args=[grace.pk]))
    event = last_event()
    assert (event.action, event.target_label) == (Action.DELETE, "grace")


def test_password_changes_are_audited_without_the_hash(superuser_client):
    target = UserFactory()
    superuser_client.post(
        reverse("users:password", args=[target.pk]),
        {
            "usable_password": "true",
            "password1": "a-fresh-pass-9876",
            "password2": "a-fresh-pass-9876",
        },
    )
    target.refresh_from_db()
    assert target.check_password("a-fresh-pass-9876")
    event = last_event()
    assert event.action == Action.PASSWORD
    stored = json.dumps(event.changes)
    assert target.password not in stored and "a-fresh-pass" not in stored


def test_admin_changes_and_bulk_actions_are_audited(client):
    root = SuperuserFactory(username="root")
    client.force_login(root)
    users = UserFactory.create_batch(2)
    client.post(
        reverse("admin:users_user_changelist"),
        {"action": "deactivate_selected", "_selected_action": [u.pk for u in users]},
    )
    events = AuditEvent.objects.filter(action=Action.DEACTIVATE)
    assert sorted(e.target_id for e in events) == sorted(u.pk for u in users)
    assert {e.actor_label for e in events} == {"root"}


def test_export_is_audited(superuser_client):
    superuser_client.get(reverse("users:export"), {"q": "ada"})
    event = last_event()
    assert event.action == Action.EXPORT
    assert event.changes == {"filters": "q=ada"}


def test_commands_are_audited_as_the_system(tmp_path):
    path = tmp_path / "u.csv"
    path.write_text("username,email,full_name\nada,ada@example.com,Ada\n")
    call_command("import_users", str(path))
    event = last_event()
    assert (event.action, event.actor_label, event.ip) == (
        Action.IMPORT,
        "system",
        None,
    )
    assert event.changes["created"] == 1


def test_history_is_shown_on_the_detail_page_and_in_the_admin(superuser_client):
    target = UserFactory(full_name="Before")
    services.user_update(user=target, full_name="After")
    page = superuser_client.get(reverse("users:detail", args=[target.pk]))
    assert "Full name: Before → After" in page.content.decode()
    admin = superuser_client.get(reverse("admin:users_user_change", args=[target.pk]))
    # The History block's line, not the form's own field value or labels.
    assert (
        "<strong>Changed by system</strong><br>Full name: Before → After"
        in admin.content.decode()
    )


def test_the_trail_is_read_only_in_the_admin(superuser_client):
    services.user_update(user=UserFactory(), full_name="x")
    event = last_event()
    assert (
        superuser_client.get(reverse("admin:users_auditevent_changelist")).status_code
        == 200
    )
    delete = reverse("admin:users_auditevent_delete", args=[event.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()
