"""The subject-access export: one JSON document with everything stored about
an account, from the user's page, the admin and the command."""

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from users import services
from users.models import AuditEvent

from .factories import PASSWORD, SuperuserFactory, UserFactory, staff_with
from .markers import postgres_only

pytestmark = pytest.mark.django_db

HOSTILE_NAME = 'Zoë "</script>" \\ \u2028 ,=1+2 \U0001f600'


def download(client, user) -> dict:
    response = client.get(reverse("users:personal_data", args=[user.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="personal-data-user-{user.pk}.json"'
    )
    return json.loads(b"".join(response.streaming_content))


def sign_in(login: str, password: str = PASSWORD, ip="198.51.100.7") -> Client:
    browser = Client(REMOTE_ADDR=ip, HTTP_USER_AGENT="Firefox/140.0")
    browser.post(reverse("login"), {"username": login, "password": password})
    return browser


def test_the_document_holds_what_is_stored_and_no_secrets(client, login):
    actor = login("superuser")
    account = staff_with("view_user", full_name=HOSTILE_NAME, username="zoe")
    sign_in("zoe", "wrong password", ip="198.51.100.8")
    sign_in("zoe")
    services.user_update(actor=actor, user=account, full_name="Zoë Quinn")

    document = download(client, account)

    assert document["format"] == "noogh subject access export, version 1"
    assert document["account"]["username"] == "zoe"
    assert document["account"]["full_name"] == "Zoë Quinn"
    assert document["account"]["can_log_in_with_password"] is True
    assert document["direct_permissions"] == ["users.view_user"]
    assert document["second_factors"] == "Not enrolled"
    [session] = document["sessions"]
    assert session["ip"] == "198.51.100.7"
    [sign_in_record] = document["sign_ins"]
    assert sign_in_record["ip_address"] == "198.51.100.7"
    [counter] = document["failure_counters"]
    assert (counter["ip_address"], counter["failures_since_start"]) == (
        "198.51.100.8",
        1,
    )
    about = [event["action"] for event in document["audit_events_about_account"]]
    assert about[-2:] == ["update", "export"]
    renamed = document["audit_events_about_account"][-2]["changes"]
    assert renamed == {"full_name": [HOSTILE_NAME, "Zoë Quinn"]}
    text = json.dumps(document)
    assert account.password not in text
    assert "session_key" not in text and "pbkdf2" not in text.lower()


def test_events_the_account_caused_are_in_it(client, login):
    login("superuser")
    staff = staff_with("view_user", "change_user")
    target = UserFactory()
    services.user_deactivate(actor=staff, user=target)
    document = download(client, staff)
    [event] = document["audit_events_by_account"]
    assert (event["action"], event["target_label"]) == (
        "deactivate",
        target.username,
    )


def test_a_suspension_and_an_end_of_access_are_in_it(client, login):
    actor = login("superuser")
    account = UserFactory()
    until = (timezone.now() + timedelta(days=3)).replace(microsecond=0)
    services.user_set_active_until(
        actor=actor, user=account, active_until=until + timedelta(days=30)
    )
    services.user_suspend(
        actor=actor,
        user=account,
        reason="abuse",
        note=HOSTILE_NAME,
        until=until,
        message="Write to abuse@example.com",
    )
    document = download(client, account)
    suspension = document["lifecycle"]["suspension"]
    assert (suspension["reason"], suspension["note"]) == ("abuse", HOSTILE_NAME)
    assert suspension["message"] == "Write to abuse@example.com"
    assert parse_datetime(suspension["until"]) == until
    assert parse_datetime(document["lifecycle"]["active_until"]) > until
    assert document["account"]["is_active"] is False

    services.user_lift_suspension(actor=actor, user=account)
    document = download(client, account)
    assert document["lifecycle"]["suspension"] is None
    actions = [event["action"] for event in document["audit_events_about_account"]]
    assert {"suspend", "lift"} <= set(actions)


def test_the_export_is_recorded_before_it_streams(client, login):
    actor = login("superuser")
    account = UserFactory()
    client.get(reverse("users:personal_data", args=[account.pk]))
    event = AuditEvent.objects.get(action="export", target_id=account.pk)
    assert event.actor_id == actor.pk
    assert event.changes == {"personal_data": [None, "subject access export"]}


def test_head_is_not_an_export(client, login):
    login("superuser")
    account = UserFactory()
    response = client.head(reverse("users:personal_data", args=[account.pk]))
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(action="export").exists()


@pytest.mark.parametrize(
    "target",
    [lambda: SuperuserFactory(), lambda: staff_with("view_user", "delete_user")],
)
def test_nobody_exports_an_account_above_them(client, login, target):
    login(staff_with("view_user", "change_user"))
    account = target()
    response = client.get(
        reverse("users:personal_data", args=[account.pk]), follow=True
    )
    assert response["Content-Type"].startswith("text/html")
    assert not AuditEvent.objects.filter(action="export").exists()


def test_a_long_trail_streams_in_a_bounded_number_of_queries(
    client, login, django_assert_max_num_queries
):
    actor = login("superuser")
    account = UserFactory()
    AuditEvent.objects.bulk_create(
        AuditEvent(action="update", actor_label="x", target_id=account.pk)
        for _ in range(5000)
    )
    with django_assert_max_num_queries(30):
        document = download(client, account)
    assert len(document["audit_events_about_account"]) == 5001
    assert actor.username in {
        e["actor_label"] for e in document["audit_events_about_account"]
    }


def test_the_command_writes_a_new_file(tmp_path, capsys):
    account = UserFactory(username="zoe")
    output = tmp_path / "zoe.json"
    call_command("export_personal_data", "ZOE", "--output", str(output))
    document = json.loads(output.read_text())
    assert document["account"]["id"] == account.pk
    event = AuditEvent.objects.get(action="export")
    assert (event.actor_id, event.target_id) == (None, account.pk)

    call_command("export_personal_data", "zoe")
    assert json.loads(capsys.readouterr().out)["account"]["username"] == "zoe"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody"], "No user named"),
        (["zoe", "--output", "{tmp}/exists.json"], "exists"),
        (["zoe", "--output", "{tmp}/no/such/folder.json"], "No folder"),
    ],
)
def test_the_command_names_what_is_wrong(tmp_path, arguments, message):
    UserFactory(username="zoe")
    (tmp_path / "exists.json").write_text("keep me")
    arguments = [argument.format(tmp=tmp_path) for argument in arguments]
    with pytest.raises(CommandError, match=message):
        call_command("export_personal_data", *arguments)
    assert (tmp_path / "exists.json").read_text() == "keep me"
    assert not AuditEvent.objects.filter(action="export").exists()


def test_the_admin_action_exports_exactly_one_account(client, login):
    login("superuser")
    first, second = UserFactory.create_batch(2)
    changelist = reverse("admin:users_user_changelist")
    action = "export_personal_data_selected"
    response = client.post(
        changelist, {"action": action, "_selected_action": [first.pk]}
    )
    document = json.loads(b"".join(response.streaming_content))
    assert document["account"]["id"] == first.pk

    response = client.post(
        changelist,
        {"action": action, "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "Select exactly one user" in response.content.decode()


@postgres_only
def test_the_trail_by_and_about_an_account_reads_through_indexes():
    account = UserFactory()
    AuditEvent.objects.bulk_create(
        AuditEvent(action="update", actor_label="x", actor_id=n, target_id=n)
        for n in range(20_000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE users_auditevent")
    by = AuditEvent.objects.by(account).explain()
    about = AuditEvent.objects.about(account).order_by("at", "id").explain()
    assert "users_audit_actor_at_idx" in by, by
    assert "users_audit_target_at_idx" in about, about
    assert "Seq Scan" not in by + about


def test_the_addresses_of_others_who_acted_on_the_account_are_not_in_it():
    """The client address of an event is its actor's: the account holder gets
    their own, not those of the staff who changed their account."""
    staff = Client(REMOTE_ADDR="203.0.113.50")
    staff.force_login(SuperuserFactory())
    account = staff_with("view_user", "change_user", username="zoe")
    staff.post(reverse("users:deactivate", args=[account.pk]))
    services.user_activate(actor=None, user=account)
    own = Client(REMOTE_ADDR="198.51.100.7")
    account.refresh_from_db()  # deactivating ended its sessions: a new epoch
    own.force_login(account)
    own.get(reverse("users:personal_data", args=[account.pk]))
    document = json.loads(
        b"".join(staff.get(reverse("users:personal_data", args=[account.pk])))
    )
    about = document["audit_events_about_account"]
    assert [event["action"] for event in about] == [
        "deactivate",
        "activate",
        "export",
        "export",
    ]
    assert [event["ip"] for event in about] == [None, None, "198.51.100.7", None]
    assert "203.0.113.50" not in json.dumps(document)
