"""import_users obeys the same rules as every other write (pen-test finding 1)."""

import csv

import pytest
from django.core.management import CommandError, call_command

from users import services
from users.models import AuditEvent, Suspension, User

from .factories import SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def run(tmp_path, text: str, *args):
    path = tmp_path / "users.csv"
    path.write_text(text, encoding="utf-8")
    call_command("import_users", str(path), *args)
    return path


def test_an_update_writes_only_the_columns_the_file_has(tmp_path):
    root = SuperuserFactory(username="root", full_name="Root")
    staff = staff_with("view_user")
    gone = UserFactory(username="gone", is_active=False)
    rows = "".join(
        f"{u.username},{u.email},{u.full_name} Renamed\n" for u in (root, staff, gone)
    )
    run(tmp_path, "username,email,full_name\n" + rows, "--on-conflict", "update")
    root.refresh_from_db(), staff.refresh_from_db(), gone.refresh_from_db()
    assert root.is_superuser and root.is_active and root.is_staff
    assert staff.is_staff and not gone.is_active
    assert root.full_name == "Root Renamed"
    assert User.objects.active().superusers().count() == 1


def test_superuser_status_of_existing_accounts_needs_the_flag(tmp_path):
    SuperuserFactory()
    plain = UserFactory(username="plain")
    text = "username,email,full_name,is_superuser\n" + (
        f"plain,{plain.email},{plain.full_name},true\n"
    )
    run(tmp_path, text, "--on-conflict", "update")
    plain.refresh_from_db()
    assert not plain.is_superuser
    run(tmp_path, text, "--on-conflict", "update", "--update-privileges")
    plain.refresh_from_db()
    assert plain.is_superuser and plain.is_staff


def test_an_import_never_leaves_no_active_superuser(tmp_path):
    root = SuperuserFactory(username="root")
    text = "username,email,full_name,is_active,is_superuser\n" + (
        f"root,{root.email},Root,false,false\n"
    )
    with pytest.raises(CommandError, match=r"no active superuser.*line"):
        run(tmp_path, text, "--on-conflict", "update", "--update-privileges")
    root.refresh_from_db()
    assert root.is_active and root.is_superuser
    assert not AuditEvent.objects.filter(action=Action.IMPORT).exists()


def test_one_event_per_changed_and_created_account_and_true_counts(tmp_path, capsys):
    first, second = UserFactory(full_name="One"), UserFactory(full_name="Two")
    unchanged = UserFactory(full_name="Same")
    text = "username,email,full_name,is_active\n" + "".join(
        [
            f"{first.username},{first.email},One Changed,\n",
            f"{second.username},{second.email},Two,false\n",
            f"{unchanged.username},{unchanged.email},Same,\n",
            "newbie,newbie@example.com,New Person,\n",
            "bad@name,bad@example.com,Bad,\n",
        ]
    )
    with pytest.raises(CommandError, match="1 row"):
        run(tmp_path, text, "--on-conflict", "update")
    events = {
        e.target_label: e for e in AuditEvent.objects.exclude(action=Action.IMPORT)
    }
    assert events[first.username].changes == {"full_name": ["One", "One Changed"]}
    assert events[second.username].changes == {"is_active": [True, False]}
    assert unchanged.username not in events
    created = events["newbie"]
    assert created.action == Action.CREATE
    assert created.changes["email"] == [None, "newbie@example.com"]
    assert created.changes["is_superuser"] == [None, False]
    summary = AuditEvent.objects.get(action=Action.IMPORT).changes
    assert summary == {"created": 1, "updated": 2, "skipped": 1, "rejected": 1}
    printed = capsys.readouterr().out
    assert "1 created, 2 updated, 1 already there (skipped), 1 rejected" in printed


def test_an_actor_cannot_import_above_their_rank(tmp_path):
    changer = staff_with("view_user", "add_user", "change_user")
    above = staff_with("view_user", "delete_user")
    below = UserFactory(full_name="Below")
    text = "username,email,full_name,is_superuser\n" + "".join(
        [
            f"{above.username},{above.email},Pwned,\n",
            f"{below.username},{below.email},Renamed,\n",
            "sneaky,sneaky@example.com,Sneaky,true\n",
        ]
    )
    args = ("--on-conflict", "update", "--actor", changer.username)
    with pytest.raises(CommandError, match="2 row"):
        run(tmp_path, text, *args)
    above.refresh_from_db(), below.refresh_from_db()
    assert above.full_name != "Pwned" and below.full_name == "Renamed"
    assert not User.objects.filter(username="sneaky").exists()
    event = AuditEvent.objects.get(target_id=below.pk)
    assert event.actor_label == changer.username
    with pytest.raises(CommandError, match="Only a superuser"):
        run(tmp_path, text, *args, "--update-privileges")


def test_an_actor_without_the_model_permission_imports_nothing(tmp_path):
    viewer = staff_with("view_user")
    with pytest.raises(CommandError, match="permission to create"):
        run(
            tmp_path,
            "username,email,full_name\nx,x@example.com,X\n",
            "--actor",
            viewer.username,
        )
    assert not User.objects.filter(username="x").exists()


def test_the_errors_file_cannot_be_the_input(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("username,email,full_name\nx,x@example.com,X\n", encoding="utf-8")
    with pytest.raises(CommandError, match="must not name"):
        call_command("import_users", str(path), "--errors", str(path))
    assert path.read_text(encoding="utf-8").startswith("username")


@pytest.mark.parametrize("actor_args", [[], ["--update-privileges"]])
def test_an_import_does_not_activate_a_suspended_account(tmp_path, actor_args):
    """A suspension ends by being lifted, with its record; an import line that
    activates the account is refused, by its line, and the rest goes in."""
    SuperuserFactory()
    held = UserFactory(username="held", full_name="Held")
    services.user_suspend(actor=None, user=held, reason="abuse")
    idle = UserFactory(username="idle", is_active=False)
    text = "username,email,full_name,is_active\n" + (
        f"HELD,{held.email},Held Renamed,true\nidle,{idle.email},Idle,true\n"
    )
    with pytest.raises(CommandError, match=r"1 row\(s\) rejected"):
        run(tmp_path, text, "--on-conflict", "update", *actor_args)
    held.refresh_from_db(), idle.refresh_from_db()
    assert not held.is_active and held.full_name == "Held"
    assert Suspension.objects.filter(user=held).exists()
    assert idle.is_active
    with open(tmp_path / "users.csv.errors.csv", encoding="utf-8") as handle:
        [error] = csv.DictReader(handle)
    assert (error["line"], error["field"]) == ("2", "is_active")
    assert "suspended" in error["message"]
