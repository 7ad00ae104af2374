"""The dormant-account policy through its services and `manage.py
lifecycle`: who is dormant, exemptions, the run (rules, trail, sessions),
its idempotence."""

import json

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError

from users import history, services
from users.managers.dormancy import DormancyPolicy
from users.models import AuditEvent, DormancyExemption, DormancyWarning, User

from .dormancy import AFTER, days_ago, dormant_policy, idle, lifecycle  # noqa: F401
from .factories import SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def dormant_names(**settings) -> set[str]:
    rules = DormancyPolicy(**({"after_days": AFTER} | settings))
    rows = User.objects.dormant(rules, days_ago(0))
    return set(rows.values_list("username", flat=True))


def test_who_is_dormant():
    idle(AFTER + 1, username="old")
    idle(AFTER + 1, never=True, username="never")
    idle(AFTER - 1, username="recent")
    idle(AFTER - 1, never=True, username="new")
    idle(AFTER + 5, username="gone", is_active=False)
    assert dormant_names() == {"old", "never"}
    assert dormant_names(after_days=0) == set()  # the policy is off


def test_exemptions_by_account_and_by_group():
    kept, member, other = (idle(AFTER + 1) for _ in range(3))
    DormancyExemption.objects.create(user=kept, by_label="x")
    Group.objects.create(name="Contractors").user_set.add(member)
    Group.objects.create(name="Other").user_set.add(other)
    assert dormant_names(exempt_groups=("Contractors",)) == {other.username}


@pytest.mark.usefixtures("dormant_policy")
def test_the_run_deactivates_ends_sessions_and_records_the_policy():
    SuperuserFactory()
    sleepy, awake = idle(AFTER + 3), idle(10)
    out, _ = lifecycle()
    assert "Deactivated 1 dormant account(s)." in out
    sleepy.refresh_from_db()
    assert not sleepy.is_active and sleepy.session_epoch == 1
    (event,) = AuditEvent.objects.filter(action=Action.DORMANT)
    assert (event.target_id, event.actor_id, event.actor_label) == (
        sleepy.pk,
        None,
        "policy",
    )
    assert event.changes == {"is_active": [True, False]}
    assert str(history.describe(event)).startswith("Deactivated as dormant")
    assert User.objects.get(pk=awake.pk).is_active
    out, _ = lifecycle()  # idempotent: nothing left to do
    assert "Deactivated 0 dormant account(s)." in out
    assert AuditEvent.objects.filter(action=Action.DORMANT).count() == 1


@pytest.mark.usefixtures("dormant_policy")
def test_batches_take_every_dormant_account():
    ids = {idle(AFTER + n).pk for n in range(1, 8)}
    out, _ = lifecycle("--dormant-batch-size", "2")
    assert "Deactivated 7 dormant account(s)." in out
    events = AuditEvent.objects.filter(action=Action.DORMANT)
    assert sorted(events.values_list("target_id", flat=True)) == sorted(ids)


@pytest.mark.usefixtures("dormant_policy")
def test_never_the_last_active_superuser():
    root = idle(AFTER + 1, factory=SuperuserFactory)
    other = idle(AFTER + 2, factory=SuperuserFactory)
    out, err = lifecycle()
    assert "Deactivated 1 dormant account(s)." in out
    assert "Left as it is" in err and "last active superuser" in err
    # The one idle the shortest stays.
    assert User.objects.get(pk=root.pk).is_active
    assert not User.objects.get(pk=other.pk).is_active


@pytest.mark.usefixtures("dormant_policy")
def test_dormant_superusers_go_while_another_stays_active():
    SuperuserFactory()  # signed in lately, or never: not dormant
    ids = [idle(AFTER + n, factory=SuperuserFactory).pk for n in (1, 2)]
    out, err = lifecycle()
    assert "Deactivated 2 dormant account(s)." in out and not err
    assert not User.objects.filter(pk__in=ids, is_active=True).exists()


def test_the_policy_off_changes_nothing(settings):
    settings.DORMANT_AFTER_DAYS = 0
    sleepy = idle(AFTER * 10)
    out, _ = lifecycle()
    assert "dormant" not in out
    assert User.objects.get(pk=sleepy.pk).is_active
    assert "The dormant-account policy is off" in lifecycle("--dry-run")[0]


def test_exempting_an_account_is_audited_and_undone():
    boss, zoe = SuperuserFactory(username="boss"), UserFactory(username="zoe")
    assert services.user_set_dormancy_exemption(
        actor=boss, user=zoe, exempt=True, note="on leave"
    )
    exemption = DormancyExemption.objects.get(user=zoe)
    assert (exemption.note, exemption.by_label) == ("on leave", "boss")
    assert not services.user_set_dormancy_exemption(
        actor=boss, user=zoe, exempt=True, note="on leave"
    )  # nothing changed, nothing recorded
    assert services.user_set_dormancy_exemption(actor=boss, user=zoe, exempt=False)
    assert not DormancyExemption.objects.filter(user=zoe).exists()
    given, taken = AuditEvent.objects.filter(action=Action.DORMANT_EXEMPT).order_by(
        "id"
    )
    assert given.changes == {
        "dormancy_exempt": [False, True],
        "exemption_note": [None, "on leave"],
    }
    assert taken.changes["dormancy_exempt"] == [True, False]
    assert "Exempt from the dormant-account policy" in str(history.describe(given))


def test_exemption_rules():
    staff = staff_with("change_user", "view_user")
    root = SuperuserFactory()
    with pytest.raises(PermissionDenied, match="your own account"):
        services.user_set_dormancy_exemption(actor=staff, user=staff, exempt=True)
    with pytest.raises(PermissionDenied):
        services.user_set_dormancy_exemption(actor=staff, user=root, exempt=True)
    nobody = UserFactory()
    with pytest.raises(PermissionDenied):
        services.user_set_dormancy_exemption(
            actor=nobody, user=UserFactory(), exempt=True
        )
    assert not DormancyExemption.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.DORMANT_EXEMPT).exists()


def test_a_note_over_the_limit_is_a_field_error():
    with pytest.raises(ValidationError) as error:
        services.user_set_dormancy_exemption(
            actor=SuperuserFactory(), user=UserFactory(), exempt=True, note="x" * 501
        )
    assert "note" in error.value.error_dict
    assert not DormancyExemption.objects.exists()


@pytest.mark.usefixtures("dormant_policy")
def test_dry_run_shows_count_sample_and_writes_the_csv(tmp_path):
    for n in range(3):
        idle(AFTER + 1, username=f"sleepy{n}")
    idle(1, username="awake")
    target = tmp_path / "dormant.csv"
    out, _ = lifecycle("--dry-run", "--dormant-csv", str(target))
    assert "Would deactivate (no login for 90 days): 3 account(s)" in out
    assert "sleepy0" in out and "awake" not in out
    text = target.read_text(encoding="utf-8")
    assert text.count("sleepy") == 3 and "awake" not in text
    assert User.objects.filter(is_active=True).count() == 4  # nothing changed
    export = AuditEvent.objects.get(action=Action.EXPORT)
    assert export.changes == {"filters": "dormant-account preview"}


@pytest.mark.usefixtures("dormant_policy")
def test_the_csv_option_names_what_is_wrong(tmp_path):
    idle(AFTER + 1)
    with pytest.raises(CommandError, match="give --dry-run too"):
        lifecycle("--dormant-csv", str(tmp_path / "x.csv"))
    with pytest.raises(CommandError, match="Cannot write"):
        lifecycle("--dry-run", "--dormant-csv", str(tmp_path / "no" / "x.csv"))
    assert User.objects.filter(is_active=True).count() == 1


def test_subject_access_and_erasure_cover_the_policys_records():
    boss, zoe = SuperuserFactory(), UserFactory(username="zoe")
    services.user_set_dormancy_exemption(
        actor=boss, user=zoe, exempt=True, note="Zoe's kiosk, room 4"
    )
    DormancyWarning.objects.create(user=zoe, sent_at=days_ago(3))
    document = json.loads(
        "".join(services.user_export_personal_data(actor=boss, user=zoe))
    )
    lifecycle_part = document["lifecycle"]
    assert lifecycle_part["dormancy_exemption"]["note"] == "Zoe's kiosk, room 4"
    assert lifecycle_part["dormancy_warning_sent_at"] is not None
    services.user_erase(actor=boss, user=zoe, basis="request")
    assert DormancyExemption.objects.get(user=zoe).note == ""  # still exempt


def test_a_note_with_a_nul_is_a_field_error():
    with pytest.raises(ValidationError) as error:
        services.user_set_dormancy_exemption(
            actor=SuperuserFactory(), user=UserFactory(), exempt=True, note="a\x00b"
        )
    assert "note" in error.value.error_dict


def test_a_new_note_alone_is_recorded_as_such():
    boss, zoe = SuperuserFactory(), UserFactory()
    services.user_set_dormancy_exemption(actor=boss, user=zoe, exempt=True, note="a")
    services.user_set_dormancy_exemption(actor=boss, user=zoe, exempt=True, note="b")
    latest = AuditEvent.objects.filter(action=Action.DORMANT_EXEMPT).latest("id")
    assert latest.changes == {"exemption_note": ["a", "b"]}
