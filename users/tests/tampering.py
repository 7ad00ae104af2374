"""What a database superuser can do to the trail and the application's role
cannot: the tests' way of tampering, and of clearing the trail between
tests that share a database outside a transaction."""

from contextlib import contextmanager

from django.db import connection

from users.models import AuditCheckpoint, AuditEvent


@contextmanager
def triggers_off():
    """As a superuser would: with the guarding triggers not firing
    (session_replication_role = replica; PostgreSQL, superusers only)."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = DEFAULT")


def tamper(sql: str, params=()) -> None:
    with triggers_off(), connection.cursor() as cursor:
        cursor.execute(sql, params)


def clear_trail() -> None:
    """TRUNCATE fires no row or statement DELETE trigger (see docs/deploy.md)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE users_auditevent, users_auditcheckpoint")
        return
    AuditEvent.objects.all().delete()
    AuditCheckpoint.objects.all().delete()
