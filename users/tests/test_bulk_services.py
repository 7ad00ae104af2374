"""The bulk service and its undo: set-based, all or nothing, audited in batches."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from users import services
from users.models import AuditEvent, User

from .factories import StaffFactory, SuperuserFactory, UserFactory, staff_with
from .tampering import triggers_off

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action


def bulk(actor, action, users, **kwargs):
    return services.users_bulk(
        actor=actor,
        action=action,
        users=users,
        scope="matching",
        filters="q=test",
        **kwargs,
    )


def test_deactivate_records_one_event_per_account_and_one_for_the_action():
    actor = SuperuserFactory()
    lina = UserFactory.create_batch(3, full_name="Lina Test")
    UserFactory(full_name="Lina Test", is_active=False)  # nothing to change
    other = UserFactory(full_name="Someone Else")
    event = bulk(actor, "deactivate", User.objects.search("lina"))
    assert event.action == Action.BULK and event.target_id is None
    assert event.changes == {
        "action": "deactivate",
        "count": 3,
        "scope": "matching",
        "filters": "q=test",
    }
    per_account = AuditEvent.objects.of_batch(event.batch)
    assert sorted(per_account.values_list("target_id", flat=True)) == sorted(
        user.pk for user in lina
    )
    first = per_account.first()
    assert first.action == Action.DEACTIVATE
    assert first.changes == {"is_active": [True, False]}
    assert first.actor_id == actor.pk and first.at == event.at
    assert first.target_label in {user.username for user in lina}
    assert not User.objects.filter(pk__in=[u.pk for u in lina], is_active=True)
    assert User.objects.get(pk=other.pk).is_active
    # Their sessions ended with their access.
    assert set(
        User.objects.filter(pk__in=[u.pk for u in lina]).values_list(
            "session_epoch", flat=True
        )
    ) == {1}


def test_one_account_above_the_actor_refuses_the_lot():
    changer = staff_with("view_user", "change_user")
    UserFactory.create_batch(2, full_name="Lina Test")
    SuperuserFactory(full_name="Lina Root")
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied, match="superuser"):
        bulk(changer, "deactivate", User.objects.search("lina"))
    assert User.objects.search("lina").inactive().count() == 0
    assert AuditEvent.objects.count() == before


def test_a_selection_that_grew_past_the_confirmed_count_is_refused():
    actor = SuperuserFactory()
    UserFactory.create_batch(3, full_name="Lina Test")
    with pytest.raises(services.BulkRefused, match="more than the 2 you confirmed"):
        bulk(actor, "deactivate", User.objects.search("lina"), at_most=2)
    assert User.objects.search("lina").active().count() == 3
    bulk(actor, "deactivate", User.objects.search("lina"), at_most=5)
    assert User.objects.search("lina").active().count() == 0


def test_undo_reverses_exactly_that_batch_and_records_it():
    actor = SuperuserFactory()
    lina = UserFactory.create_batch(3, full_name="Lina Test")
    already = UserFactory(full_name="Lina Test", is_active=False)
    event = bulk(actor, "deactivate", User.objects.search("lina"))
    undo = services.bulk_undo(actor=actor, batch=event.batch)
    assert User.objects.filter(pk__in=[u.pk for u in lina], is_active=True).count() == 3
    assert not User.objects.get(pk=already.pk).is_active
    assert undo.changes["undoes"] == str(event.batch)
    assert undo.changes["count"] == 3 and undo.changes["skipped"] == 0
    assert (
        AuditEvent.objects.of_batch(undo.batch).filter(action=Action.ACTIVATE).count()
        == 3
    )
    with pytest.raises(services.BulkRefused, match="already been undone"):
        services.bulk_undo(actor=actor, batch=event.batch)
    with pytest.raises(services.BulkRefused, match="undo"):
        services.bulk_undo(actor=actor, batch=undo.batch)


def test_undo_leaves_accounts_changed_since_and_reports_them():
    actor = SuperuserFactory()
    alice, bob, carol = (
        UserFactory(full_name=f"Lina {name}", username=name)
        for name in ("alice", "bob", "carol")
    )
    event = bulk(actor, "deactivate", User.objects.search("lina"))
    services.user_activate(actor=actor, user=alice)
    services.user_update(actor=actor, user=User.objects.get(pk=bob.pk), full_name="B")
    undo = services.bulk_undo(actor=actor, batch=event.batch)
    assert undo.changes["count"] == 1
    assert undo.changes["skipped"] == 2
    assert sorted(undo.changes["skipped_sample"]) == ["alice", "bob"]
    assert User.objects.get(pk=carol.pk).is_active
    assert not User.objects.get(pk=bob.pk).is_active


def test_undo_is_refused_after_the_window(settings):
    actor = SuperuserFactory()
    UserFactory(full_name="Lina Test")
    event = bulk(actor, "deactivate", User.objects.search("lina"))
    with triggers_off():  # backdated: rewriting history
        AuditEvent.objects.filter(batch=event.batch).update(
            at=timezone.now() - timedelta(seconds=settings.BULK_UNDO_SECONDS + 1)
        )
    with pytest.raises(services.BulkRefused, match="minutes only"):
        services.bulk_undo(actor=actor, batch=event.batch)
    assert User.objects.search("lina").active().count() == 0


@pytest.mark.parametrize("action", ["delete", "end_sessions"])
def test_undo_is_refused_for_what_cannot_be_undone(action):
    actor = SuperuserFactory()
    UserFactory(full_name="Lina Test")
    event = bulk(actor, action, User.objects.search("lina"))
    with pytest.raises(services.BulkRefused, match="cannot be undone"):
        services.bulk_undo(actor=actor, batch=event.batch)


def test_undo_respects_the_hierarchy_and_who_made_it():
    root = SuperuserFactory()
    changer = staff_with("view_user", "change_user")
    UserFactory(full_name="Lina Test")
    StaffFactory(full_name="Lina Staff")  # staff: fine for a staff changer
    event = bulk(root, "deactivate", User.objects.search("lina"))
    with pytest.raises(services.BulkRefused, match="person who made"):
        services.bulk_undo(actor=changer, batch=event.batch)
    # A changer's own batch, with a superuser made inactive meanwhile by the
    # root: its undo would activate a superuser, which the changer may not.
    target = UserFactory(full_name="Mina Test")
    own = bulk(changer, "deactivate", User.objects.search("mina"))
    User.objects.filter(pk=target.pk).update(is_superuser=True, is_staff=True)
    with pytest.raises(PermissionDenied, match="superuser"):
        services.bulk_undo(actor=changer, batch=own.batch)


def test_the_last_active_superuser_cannot_be_bulk_deactivated():
    root = SuperuserFactory()
    with pytest.raises(PermissionDenied, match="your own account"):
        bulk(root, "deactivate", User.objects.filter(pk=root.pk))
    with pytest.raises(PermissionDenied, match="last active superuser"):
        bulk(None, "deactivate", User.objects.superusers())
    assert User.objects.get(pk=root.pk).is_active


def test_bulk_delete_and_end_sessions():
    actor = SuperuserFactory()
    doomed = UserFactory.create_batch(2, full_name="Lina Test")
    event = bulk(actor, "end_sessions", User.objects.search("lina"))
    assert event.changes["count"] == 2
    assert set(User.objects.search("lina").values_list("session_epoch", flat=True)) == {
        1
    }
    event = bulk(actor, "delete", User.objects.search("lina"))
    assert not User.objects.filter(pk__in=[u.pk for u in doomed]).exists()
    labels = AuditEvent.objects.of_batch(event.batch).values_list(
        "target_label", flat=True
    )
    assert sorted(labels) == sorted(u.username for u in doomed)


def test_bulk_deactivate_of_2000_rows_takes_a_bounded_number_of_queries(
    django_assert_max_num_queries,
):
    actor = SuperuserFactory()
    User.objects.bulk_create(
        User(username=f"bulk{n}", email=f"bulk{n}@example.com", full_name="Bulk Row")
        for n in range(2000)
    )
    # Locking walks the selection in chunks of 2,000 ids (2 round trips).
    with django_assert_max_num_queries(12):
        event = bulk(actor, "deactivate", User.objects.search("bulk row"))
    assert event.changes["count"] == 2000
    with django_assert_max_num_queries(16):
        undo = services.bulk_undo(actor=actor, batch=event.batch)
    assert undo.changes["count"] == 2000
    assert User.objects.search("bulk row").active().count() == 2000


def test_nothing_to_change_is_refused_and_records_nothing():
    actor = SuperuserFactory()
    UserFactory(full_name="Lina Test", is_active=False)
    with pytest.raises(services.BulkRefused, match="Nothing to deactivate"):
        bulk(actor, "deactivate", User.objects.search("lina"))
    assert not AuditEvent.objects.filter(action=Action.BULK).exists()
