"""On PostgreSQL the application's own database role cannot change or delete
audit events (users.trail_guard_operations): not with raw SQL, not through
the ORM, not through the admin; only sealing, erasure and the retention
purge get through, each only as far as it needs. And writers and sealers at
once keep one chain."""

import threading
from datetime import timedelta

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from users import services
from users.audit import chain, retention, trail
from users.models import AuditCheckpoint, AuditEvent

from .factories import SuperuserFactory, UserFactory
from .markers import postgres_only

pytestmark = [pytest.mark.django_db, postgres_only]


def refused(sql: str, params=(), *, flag: str | None = None) -> str:
    """The database's refusal of sql, run as the application's role."""
    with pytest.raises(DatabaseError) as refusal, transaction.atomic():
        execute(sql, params, flag=flag)
    return str(refusal.value)


def execute(sql: str, params=(), *, flag: str | None = None) -> None:
    with connection.cursor() as cursor:
        if flag:
            cursor.execute("SELECT set_config(%s, 'on', true)", [flag])
        cursor.execute(sql, params)


def event(**changes) -> AuditEvent:
    return trail.record("update", UserFactory(), changes or {"n": [0, 1]}, actor=None)


def test_raw_sql_cannot_change_or_delete_events_sealed_or_not():
    waiting, sealed = event(), event()
    chain.seal()
    waiting = event()
    for pk in (sealed.pk, waiting.pk):
        update = "UPDATE users_auditevent SET changes = '{}' WHERE id = %s"
        assert f"audit event {pk} cannot be changed" in refused(update, [pk])
        delete = "DELETE FROM users_auditevent WHERE id = %s"
        assert "only by the retention purge" in refused(delete, [pk])
    assert AuditEvent.objects.filter(pk__in=[sealed.pk, waiting.pk]).count() == 2


def test_the_orm_cannot_change_or_delete_events():
    entry = event()
    chain.seal()
    entry.refresh_from_db()
    entry.action = "delete"
    for attempt in (
        entry.save,
        AuditEvent.objects.filter(pk=entry.pk).delete,
        lambda: AuditEvent.objects.filter(pk=entry.pk).update(target_label="x"),
        lambda: AuditEvent.objects.filter(pk=entry.pk).update(hash="0" * 64),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    stored = AuditEvent.objects.get(pk=entry.pk)
    assert (stored.action, stored.hash) == ("update", entry.hash)


def test_sealing_sets_only_the_chain_columns_of_unsealed_events():
    entry = event()
    assert chain.seal() == 1
    assert AuditEvent.objects.get(pk=entry.pk).seq == 1
    other = event()
    sneaky = (
        "UPDATE users_auditevent SET seq = 2, hash = %s, action = 'x' WHERE id = %s"
    )
    assert "cannot be changed" in refused(sneaky, ["a" * 64, other.pk])
    again = "UPDATE users_auditevent SET seq = 9, hash = %s WHERE id = %s"
    assert "cannot be changed" in refused(again, ["a" * 64, entry.pk])


ERASE = "UPDATE users_auditevent SET target_label = 'u-x', redacted = %s WHERE id = %s"


def test_an_erasure_changes_only_personal_fields_keeping_their_digests():
    entry = event()
    chain.seal()
    digest = '{"target_label": "%s"}' % ("d" * 64)
    # Not without saying it is an erasure; not without the digest.
    assert "cannot be changed" in refused(ERASE, [digest, entry.pk])
    no_digest = [None, entry.pk]
    assert "cannot be changed" in refused(ERASE, no_digest, flag="noogh.audit_erasure")
    action = "UPDATE users_auditevent SET action = 'x' WHERE id = %s"
    assert "cannot be changed" in refused(
        action, [entry.pk], flag="noogh.audit_erasure"
    )
    with transaction.atomic():
        execute(ERASE, [digest, entry.pk], flag="noogh.audit_erasure")
    assert AuditEvent.objects.get(pk=entry.pk).target_label == "u-x"
    # A digest once kept stays as it was.
    other = '{"target_label": "%s"}' % ("e" * 64)
    assert "cannot be changed" in refused(
        ERASE, [other, entry.pk], flag="noogh.audit_erasure"
    )


def test_the_erasure_service_gets_through_and_keeps_the_chain():
    boss = SuperuserFactory()
    zoe = UserFactory(email="zoe@example.org")
    services.user_update(actor=boss, user=zoe, full_name="Zoe Q")
    chain.seal()
    services.user_erase(actor=boss, user=zoe, basis="request")
    chain.seal()
    assert chain.verify().broken is None
    assert not AuditEvent.objects.filter(changes__icontains="zoe@example.org").exists()


def test_the_purge_deletes_only_up_to_its_checkpoint():
    now = timezone.now()
    old = [trail.record("x", None, {}, actor=None, at=now - timedelta(9)) for _ in "ab"]
    chain.seal()
    unsealed = event()
    delete = "DELETE FROM users_auditevent WHERE id = %s"
    # Not before the checkpoint names the event, nor an unsealed one.
    assert "retention purge" in refused(delete, [old[0].pk], flag="noogh.audit_purge")
    assert "retention purge" in refused(delete, [unsealed.pk], flag="noogh.audit_purge")
    assert retention.purge(before=now - timedelta(1)) == 2
    assert AuditCheckpoint.objects.get().seq == 2
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [unsealed.pk]


def test_the_checkpoint_moves_only_forward_to_a_sealed_events_hash():
    now = timezone.now()
    for _ in range(3):
        trail.record("x", None, {}, actor=None, at=now - timedelta(9))
    chain.seal()
    first, second = AuditEvent.objects.order_by("seq")[:2]
    insert = """INSERT INTO users_auditcheckpoint (seq, hash, through_at, purged)
        VALUES (%s, %s, now(), 0)"""
    assert "moves only forward" in refused(insert, [1, first.hash])  # no flag
    bogus = [1, "0" * 64]
    assert "moves only forward" in refused(insert, bogus, flag="noogh.audit_purge")
    with transaction.atomic():
        execute(insert, [2, second.hash], flag="noogh.audit_purge")
    back = "UPDATE users_auditcheckpoint SET seq = 1, hash = %s"
    assert "moves only forward" in refused(back, [first.hash], flag="noogh.audit_purge")
    gone = "DELETE FROM users_auditcheckpoint"
    assert "moves only forward" in refused(gone, flag="noogh.audit_purge")


def test_the_admin_neither_edits_nor_deletes_an_event(superuser_client):
    entry = event()
    change = reverse("admin:users_auditevent_change", args=[entry.pk])
    page = superuser_client.get(change)
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    superuser_client.post(change, {"action": "delete", "target_label": "x"})
    delete = reverse("admin:users_auditevent_delete", args=[entry.pk])
    assert superuser_client.post(delete, {"post": "yes"}).status_code == 403
    stored = AuditEvent.objects.get(pk=entry.pk)
    assert (stored.action, stored.target_label) == ("update", entry.target_label)


WRITERS, EACH = 4, 25


@pytest.mark.django_db(transaction=True)
def test_writers_and_two_sealers_at_once_keep_one_chain():
    done = threading.Event()
    failures = []

    def in_thread(work):
        def run():
            try:
                work()
            except Exception as error:  # reported by the assertion below
                failures.append(error)
            finally:
                connection.close()

        return threading.Thread(target=run)

    def write():
        for number in range(EACH):
            with transaction.atomic():
                trail.record("update", None, {"n": [0, number]}, actor=None)
                trail.record_many(
                    [trail.event("update", None, {"n": [1, number]}, actor=None)]
                )

    def seal():
        while not done.is_set():
            chain.seal(batch_size=7)

    writers = [in_thread(write) for _ in range(WRITERS)]
    sealers = [in_thread(seal) for _ in range(2)]
    for thread in writers + sealers:
        thread.start()
    for thread in writers:
        thread.join()
    done.set()
    for thread in sealers:
        thread.join()
    chain.seal()

    assert failures == []
    report = chain.verify()
    assert report.broken is None and report.unsealed == 0
    total = WRITERS * EACH * 2
    assert report.checked == total
    seqs = AuditEvent.objects.order_by("seq").values_list("seq", flat=True)
    assert list(seqs) == list(range(1, total + 1))


def test_the_guard_names_every_column_of_the_audit_table():
    """A column added later must be added to the guard (trail_guard_operations),
    or an UPDATE of it alone would pass as sealing or erasure."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('users_audit_guard_update'::regproc)")
        guard = cursor.fetchone()[0]
        columns = [
            c.name
            for c in connection.introspection.get_table_description(
                cursor, "users_auditevent"
            )
        ]
    assert len(columns) >= 12
    assert [
        c for c in columns if f"NEW.{c}," not in guard and f"NEW.{c})" not in guard
    ] == []
