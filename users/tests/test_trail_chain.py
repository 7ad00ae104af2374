"""The trail's hash chain (users.audit.chain): every way events are written
gets sealed; audit_verify reports the first broken link after tampering as a
database superuser would; erasure keeps it whole; the purge keeps it
verifiable. On SQLite and PostgreSQL (the guarding triggers, PostgreSQL only,
are test_trail_guard's)."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from users import services
from users.audit import chain, trail
from users.models import AuditCheckpoint, AuditEvent, User

from .factories import SuperuserFactory, UserFactory, staff_with
from .tampering import tamper

pytestmark = pytest.mark.django_db


def verify(*args) -> str:
    out = StringIO()
    call_command("audit_verify", *args, stdout=out)
    return out.getvalue()


def broken(*args) -> str:
    with pytest.raises(CommandError) as refusal:
        verify(*args)
    return str(refusal.value)


def sealed_events() -> list[AuditEvent]:
    chain.seal()
    return list(AuditEvent.objects.order_by("seq"))


def test_every_way_of_writing_events_is_sealed_into_one_chain(tmp_path):
    boss = SuperuserFactory()
    zoe = services.user_create(actor=boss, username="zoe", email="zoe@example.org")
    services.user_update(actor=boss, user=zoe, full_name="Zoe")  # record
    services.users_set_active(  # record_many (bulk_create)
        actor=boss, users=User.objects.filter(pk=zoe.pk), active=False
    )
    services.users_bulk(  # record_rows (INSERT ... SELECT)
        actor=boss,
        action="activate",
        users=User.objects.filter(pk=zoe.pk),
        scope="ticked",
        filters="",
    )
    csv = tmp_path / "users.csv"  # record_from_sql, created and changed
    csv.write_text("username,email,full_name\nzoe,zoe@example.org,Zoé\nann,a@x.org,A\n")
    call_command("import_users", str(csv), stdout=StringIO())
    written = AuditEvent.objects.count()
    assert AuditEvent.objects.filter(seq__isnull=True).count() == written

    output = verify()

    assert f"Checked {written} event(s)." in output
    assert "The chain holds." in output
    events = list(AuditEvent.objects.order_by("seq"))
    assert [event.seq for event in events] == list(range(1, written + 1))
    assert [event.id for event in events] == sorted(event.id for event in events)
    assert {e.action for e in events} >= {"create", "update", "activate", "bulk"}
    head = AuditEvent.objects.get(seq=written)
    assert f"Head: position {written}, {head.hash}" in output


def test_a_changed_event_is_the_first_broken_link():
    for number in range(5):
        UserFactory(username=f"person{number}").save()
        trail.record("update", None, {"full_name": ["a", f"b{number}"]}, actor=None)
    events = sealed_events()
    victim = events[2]

    tamper(
        "UPDATE users_auditevent SET changes = %s WHERE id = %s",
        ['{"full_name": ["a", "forged"]}', victim.pk],
    )
    message = broken("--no-seal")

    assert f"event #{victim.pk} at chain position {victim.seq}" in message
    assert f"found {victim.hash}" in message
    expected = message.split("expected ")[1].split(",")[0]
    assert len(expected) == 64 and expected != victim.hash


def test_a_changed_hash_breaks_the_chain_at_that_event():
    for number in range(3):
        trail.record("update", None, {"n": [0, number]}, actor=None)
    events = sealed_events()
    tamper(
        "UPDATE users_auditevent SET hash = %s WHERE id = %s", ["f" * 64, events[1].pk]
    )
    assert f"event #{events[1].pk} at chain position 2" in broken()


def test_a_deleted_event_in_the_middle_breaks_the_chain_at_the_next():
    for number in range(4):
        trail.record("update", None, {"n": [0, number]}, actor=None)
    events = sealed_events()
    tamper("DELETE FROM users_auditevent WHERE id = %s", [events[1].pk])

    message = broken()

    assert f"event #{events[2].pk} at chain position 3" in message
    assert "chain positions 2-2 are missing" in message


def test_a_rewritten_chain_holds_but_not_against_an_anchor_kept_elsewhere():
    for number in range(3):
        trail.record("update", None, {"n": [0, number]}, actor=None)
    events = sealed_events()
    anchor = f"{events[-1].seq}:{events[-1].hash}"
    assert "The chain holds." in verify("--anchor", anchor)
    # A database superuser with the key rewrites an event and re-chains all.
    tamper("UPDATE users_auditevent SET changes = '{}' WHERE id = %s", [events[0].pk])
    tamper("UPDATE users_auditevent SET seq = NULL, hash = NULL")

    assert "The chain holds." in verify()  # sealed afresh: self-consistent
    message = broken("--anchor", anchor)

    assert f"Anchor at position {events[-1].seq}: expected {events[-1].hash}" in message


@pytest.mark.parametrize(
    "hostile",
    [
        "3:not-a-hash",
        "",
        ":" + "a" * 64,
        "\u0663:" + "a" * 64,  # an Arabic-Indic 3
        "9" * 30 + ":" + "a" * 64,
        "3:" + "g" * 64,
        "3:" + "a" * 64 + "\x00",
        "-1:" + "a" * 64,
    ],
)
def test_an_anchor_that_is_not_a_position_and_hash_is_refused(hostile):
    with pytest.raises(CommandError, match="anchor"):
        verify("--anchor", hostile)


def test_events_written_after_sealing_continue_the_chain():
    trail.record("update", None, {"n": [0, 1]}, actor=None)
    first = sealed_events()
    trail.record("update", None, {"n": [1, 2]}, actor=None)
    call_command("audit_seal", stdout=StringIO())
    later = AuditEvent.objects.get(seq=2)
    assert later.hash == chain.link(first[0].hash, 2, event_row(later))
    assert "Checked 2 event(s)." in verify()


def event_row(event: AuditEvent) -> dict:
    return AuditEvent.objects.filter(pk=event.pk).values(*chain.COLUMNS).get()


def test_erasure_keeps_every_hash_whether_sealed_before_or_after(settings):
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    boss = SuperuserFactory(username="boss")
    zoe = UserFactory(username="zoe", email="zoe@example.org", full_name="Zoe Q")
    services.user_update(actor=boss, user=zoe, email="zoe.q@example.org")
    services.user_send_password_link(actor=boss, user=zoe, base_url="http://x")
    AuditEvent.objects.create(  # by zoe, from an address
        action="update", actor_id=zoe.pk, actor_label="zoe", ip="203.0.113.9"
    )
    chain.seal()
    trail.record("update", zoe, {"full_name": ["Zoe Q", "Zoe R"]}, actor=boss)

    services.user_erase(actor=boss, user=zoe, basis="request")

    assert "The chain holds." in verify()
    erased = AuditEvent.objects.filter(target_id=zoe.pk, action="password_link").get()
    assert "zoe.q@example.org" not in str(erased.changes)
    assert set(erased.redacted) == {"target_label", "changes"}
    by_zoe = AuditEvent.objects.get(actor_id=zoe.pk)
    assert by_zoe.ip is None and set(by_zoe.redacted) == {"actor_label", "ip"}


def test_a_second_erasure_keeps_the_first_ones_digests():
    boss, ann = SuperuserFactory(), UserFactory()
    zoe = staff_with("view_user", "change_user")
    # An event by zoe about ann, naming zoe in ann's new name.
    services.user_update(actor=zoe, user=ann, full_name=f"after {zoe.username}")
    chain.seal()
    services.user_erase(actor=boss, user=ann, basis="request")
    digests = AuditEvent.objects.get(actor_id=zoe.pk).redacted
    services.user_erase(actor=boss, user=zoe, basis="request")
    assert set(digests) == {"target_label", "changes"}
    again = AuditEvent.objects.get(actor_id=zoe.pk).redacted
    assert again.items() > digests.items() and "actor_label" in again
    assert "The chain holds." in verify()


def record_aged(now, days: int) -> None:
    trail.record(
        "update", None, {"age": [0, days]}, actor=None, at=now - timedelta(days)
    )


def test_the_purge_deletes_the_oldest_and_the_chain_still_verifies():
    now = timezone.now()
    for days in (400, 300, 200, 10, 1, 500):  # 500 written late: kept
        record_aged(now, days)
    out = StringIO()

    call_command("audit_purge", "--days", "90", stdout=out)

    assert "Deleted 3 event(s)" in out.getvalue()
    ages = sorted(e.changes["age"][1] for e in AuditEvent.objects.all())
    # The late event is kept: only the chain's oldest part goes, up to the
    # first event still within the retention period.
    assert ages == [1, 10, 500]
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.seq, checkpoint.purged) == (3, 3)
    output = verify()
    assert "Starts after the purge's checkpoint: position 3." in output
    assert "Checked 3 event(s)." in output


def test_the_purge_twice_and_with_retention_off():
    now = timezone.now()
    for days in (50, 40):
        record_aged(now, days)
    chain.seal()
    out = StringIO()
    call_command("audit_purge", "--days", "0", stdout=out)
    call_command("audit_purge", "--days", "-3", stdout=out)
    assert out.getvalue().count("Retention is off") == 2
    assert AuditEvent.objects.count() == 2
    for hostile in ("999999999", str(10**30)):
        with pytest.raises(CommandError, match="--days: a retention of"):
            call_command("audit_purge", "--days", hostile, stdout=out)
    with pytest.raises(CommandError, match="invalid int"):
        call_command("audit_purge", "--days", "30 days", stdout=out)
    call_command("audit_purge", "--days", "45", stdout=out)
    call_command("audit_purge", "--days", "30", stdout=out)
    assert not AuditEvent.objects.exists()
    assert AuditCheckpoint.objects.get().purged == 2
    trail.record("update", None, {"age": [0, 0]}, actor=None)
    assert "Checked 1 event(s)." in verify()


def test_a_gap_after_the_checkpoint_is_reported():
    for number in range(3):
        trail.record("update", None, {"n": [0, number]}, actor=None)
    events = sealed_events()
    tamper("DELETE FROM users_auditevent WHERE id = %s", [events[0].pk])
    assert "chain positions 1-1 are missing" in broken()


def test_without_the_key_sealing_says_what_is_missing(settings):
    settings.ERASURE_KEY = ""
    trail.record("update", None, {}, actor=None)
    with pytest.raises(CommandError, match="ERASURE_KEY"):
        call_command("audit_seal", stdout=StringIO())


def test_the_lifecycle_run_seals_and_purges_past_the_retention(settings):
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    for days in (60, 40, 5):
        record_aged(now, days)
    out = StringIO()
    call_command("lifecycle", stdout=out, stderr=out)
    assert "Sealed 3 audit event(s); purged 2." in out.getvalue()
    assert [e.changes["age"][1] for e in AuditEvent.objects.all()] == [5]
    assert AuditEvent.objects.get().seq == 3
    assert "The chain holds." in verify("--no-seal")


def test_the_lifecycle_run_without_the_key_still_runs_and_says_so(settings):
    settings.ERASURE_KEY = ""
    trail.record("update", None, {}, actor=None)
    out, err = StringIO(), StringIO()
    call_command("lifecycle", stdout=out, stderr=err)
    assert "Lifted 0 suspension(s)." in out.getvalue()
    assert "not sealed: ERASURE_KEY must be set" in err.getvalue()
    assert AuditEvent.objects.get().seq is None
