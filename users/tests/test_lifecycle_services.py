"""Suspensions and ends of access through the services, and the lifecycle
run through `manage.py lifecycle`: rules, audit trail, sessions."""

from datetime import datetime, timedelta
from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from users import history, services
from users.models import AuditEvent, Suspension, User

from .factories import SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def soon(**delta) -> timezone.datetime:
    return timezone.now() + timedelta(**(delta or {"days": 3}))


def run(*args) -> str:
    out = StringIO()
    call_command("lifecycle", *args, stdout=out, stderr=out)
    return out.getvalue()


def events(user, action):
    return list(AuditEvent.objects.filter(target_id=user.pk, action=action))


def test_suspend_deactivates_ends_sessions_and_records():
    boss, zoe = SuperuserFactory(username="boss"), UserFactory(username="zoe")
    epoch = zoe.session_epoch
    until = soon()
    services.user_suspend(
        actor=boss, user=zoe, reason="abuse", note="spam", until=until, message="Bye"
    )
    zoe.refresh_from_db()
    assert not zoe.is_active and zoe.session_epoch == epoch + 1
    suspension = Suspension.objects.get(user=zoe)
    assert (suspension.reason, suspension.by_label, suspension.until) == (
        "abuse",
        "boss",
        until,
    )
    (event,) = events(zoe, Action.SUSPEND)
    assert event.actor_label == "boss" and event.changes["is_active"] == [True, False]
    text = str(history.describe(event))
    assert text.startswith("Suspended by boss") and "Reason: abuse" in text


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"reason": "bored"}, "reason"),
        ({"reason": ""}, "reason"),
        ({"note": "x" * 501}, "note"),
        ({"message": "x" * 501}, "message"),
        ({"until": timezone.now() - timedelta(minutes=1)}, "until"),
    ],
)
def test_invalid_suspensions_name_their_field_and_change_nothing(fields, field):
    zoe = UserFactory()
    with pytest.raises(ValidationError) as refused:
        services.user_suspend(
            actor=SuperuserFactory(), user=zoe, **({"reason": "abuse"} | fields)
        )
    assert field in refused.value.error_dict
    zoe.refresh_from_db()
    assert zoe.is_active and not Suspension.objects.exists()
    assert not events(zoe, Action.SUSPEND)


def test_suspension_follows_the_hierarchy_like_deactivation():
    changer = staff_with("view_user", "change_user")
    viewer = staff_with("view_user")
    for target in (SuperuserFactory(), changer):  # above, and oneself
        with pytest.raises(PermissionDenied):
            services.user_suspend(actor=changer, user=target, reason="abuse")
    with pytest.raises(PermissionDenied):
        services.user_suspend(actor=viewer, user=UserFactory(), reason="abuse")
    services.user_suspend(actor=changer, user=UserFactory(), reason="abuse")
    assert Suspension.objects.count() == 1


def test_the_last_superuser_cannot_be_suspended_by_the_system():
    only = SuperuserFactory()
    with pytest.raises(PermissionDenied, match="last active superuser"):
        services.user_suspend(actor=None, user=only, reason="security")


def test_a_suspended_account_is_lifted_not_activated():
    boss, zoe = SuperuserFactory(), UserFactory()
    services.user_suspend(actor=boss, user=zoe, reason="billing")
    with pytest.raises(PermissionDenied, match="lift the suspension"):
        services.user_activate(actor=boss, user=zoe)
    with pytest.raises(PermissionDenied, match="lift their suspensions"):
        services.users_set_active(
            actor=boss, users=User.objects.filter(pk=zoe.pk), active=True
        )
    services.user_lift_suspension(actor=boss, user=zoe)
    zoe.refresh_from_db()
    assert zoe.is_active and not Suspension.objects.exists()
    assert events(zoe, Action.LIFT)[0].actor_label == boss.username
    with pytest.raises(PermissionDenied, match="not suspended"):
        services.user_lift_suspension(actor=boss, user=zoe)


def test_a_deactivated_account_is_not_suspended_until_activated():
    boss, zoe = SuperuserFactory(), UserFactory(is_active=False)
    with pytest.raises(PermissionDenied, match="activate it before"):
        services.user_suspend(actor=boss, user=zoe, reason="abuse")


def test_suspending_again_replaces_the_suspension():
    boss, zoe = SuperuserFactory(), UserFactory()
    services.user_suspend(actor=boss, user=zoe, reason="abuse")
    services.user_suspend(actor=boss, user=zoe, reason="security", until=soon())
    assert Suspension.objects.get(user=zoe).reason == "security"
    latest = events(zoe, Action.SUSPEND)[0]
    assert latest.changes["reason"] == ["abuse", "security"]
    assert "is_active" not in latest.changes


def test_erasure_forgets_the_suspension():
    boss, zoe = SuperuserFactory(), UserFactory()
    services.user_suspend(actor=boss, user=zoe, reason="abuse", note="Zoe Q. spam")
    services.user_erase(actor=boss, user=zoe, basis="request")
    assert not Suspension.objects.exists()


def test_active_until_is_set_in_the_future_and_recorded():
    boss, zoe = SuperuserFactory(), UserFactory()
    with pytest.raises(ValidationError) as refused:
        services.user_set_active_until(
            actor=boss, user=zoe, active_until=timezone.now() - timedelta(seconds=1)
        )
    assert "active_until" in refused.value.error_dict
    when = soon(days=10)
    services.user_set_active_until(actor=boss, user=zoe, active_until=when)
    services.user_set_active_until(actor=boss, user=zoe, active_until=when)
    zoe.refresh_from_db()
    assert zoe.active_until == when
    assert len(events(zoe, Action.ACTIVE_UNTIL)) == 1
    services.user_set_active_until(actor=boss, user=zoe, active_until=None)
    zoe.refresh_from_db()
    assert zoe.active_until is None


def test_active_until_follows_the_hierarchy():
    changer = staff_with("view_user", "change_user")
    with pytest.raises(PermissionDenied):
        services.user_set_active_until(
            actor=changer, user=SuperuserFactory(), active_until=soon()
        )


def ended(user, **fields):
    """Set end dates in the past, as time passing would (no service: they
    refuse the past)."""
    past = timezone.now() - timedelta(minutes=5)
    if fields.get("suspended"):
        Suspension.objects.create(user=user, reason="abuse", until=past, by_label="x")
        User.objects.filter(pk=user.pk).update(is_active=False)
    if fields.get("expired"):
        User.objects.filter(pk=user.pk).update(active_until=past)
    return user


def test_the_run_lifts_ended_suspensions_and_deactivates_expired_accounts():
    SuperuserFactory()
    lifted = ended(UserFactory(username="lifted"), suspended=True)
    expired = ended(UserFactory(username="expired"), expired=True)
    later = UserFactory(username="later", active_until=soon())
    suspended_on = UserFactory(username="kept")
    services.user_suspend(actor=None, user=suspended_on, reason="abuse", until=soon())
    epoch = expired.session_epoch
    output = run()
    assert "Lifted 1 suspension(s)." in output
    assert "Deactivated 1 account(s)" in output
    for user in (lifted, expired, later, suspended_on):
        user.refresh_from_db()
    assert lifted.is_active and not Suspension.objects.filter(user=lifted).exists()
    assert not expired.is_active and expired.active_until is None
    assert expired.session_epoch == epoch + 1
    assert later.is_active and not suspended_on.is_active
    (lift,) = events(lifted, Action.LIFT)
    (expire,) = events(expired, Action.EXPIRE)
    assert lift.actor_label == expire.actor_label == "policy"
    assert lift.actor_id is None
    assert str(history.describe(expire)).startswith("Access ended")
    assert "by policy" in str(history.describe(expire))
    # Idempotent: a second run finds nothing.
    assert "Lifted 0" in run() and len(events(expired, Action.EXPIRE)) == 1


def test_dry_run_prints_and_changes_nothing():
    SuperuserFactory()
    ended(UserFactory(username="lifted"), suspended=True)
    ended(UserFactory(username="expired"), expired=True)
    before = list(User.objects.values_list("pk", "is_active", "active_until"))
    output = run("--dry-run")
    assert "Would lift the suspension of: 1 account(s)\n  lifted" in output
    assert "Would deactivate (access ended): 1 account(s)\n  expired" in output
    assert list(User.objects.values_list("pk", "is_active", "active_until")) == before
    assert Suspension.objects.count() == 1
    assert not AuditEvent.objects.filter(action__in=[Action.LIFT, Action.EXPIRE])


def test_the_run_processes_each_account_once_across_batches():
    SuperuserFactory()
    users = [ended(UserFactory(), expired=True) for _ in range(7)]
    run("--batch-size", "2")
    assert AuditEvent.objects.filter(action=Action.EXPIRE).count() == 7
    assert not User.objects.filter(pk__in=[u.pk for u in users], is_active=True)


def test_the_last_active_superuser_is_left_and_reported():
    only = ended(SuperuserFactory(username="root"), expired=True)
    ended(UserFactory(), expired=True)
    output = run("--batch-size", "1")
    only.refresh_from_db()
    assert only.is_active and "Left as it is: root" in output
    assert "Deactivated 1 account(s)" in output


@pytest.mark.parametrize(
    "when",
    [
        "9999-12-31T23:59:59-01:00",  # year 10000 in UTC: could not be read back
        "2030-01-01T00:00:00+15:00",  # no time zone is that far from UTC
        "2200-01-01T00:00:00+00:00",  # beyond a century
    ],
)
def test_end_dates_that_could_not_be_stored_are_refused(when):
    account = UserFactory()
    with pytest.raises(ValidationError) as refused:
        services.user_set_active_until(
            actor=None, user=account, active_until=datetime.fromisoformat(when)
        )
    assert "active_until" in refused.value.message_dict
    account.refresh_from_db()
    assert account.active_until is None
