"""Deploy-time behaviour: migrate on a loaded table, timeouts, a database outage."""

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.urls import reverse

from .markers import postgres_only

LOADED_ROWS = 100_000


def count_users() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM users_user")
        return cursor.fetchone()[0]


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_migrating_a_loaded_table_from_zero_to_latest_and_back():
    try:
        call_command("migrate", "users", "0001", verbosity=0)
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO users_user (password, is_superuser, email, username,
                    full_name, is_active, is_staff, created_at, updated_at)
                SELECT '!', false, 'u' || n || '@example.com', 'u' || n,
                    'User ' || n, true, false, now(), now()
                FROM generate_series(1, %s) AS n
                """,
                [LOADED_ROWS],
            )
        call_command("migrate", verbosity=0)  # indexes built CONCURRENTLY
        assert count_users() == LOADED_ROWS
        call_command("migrate", "users", "0001", verbosity=0)
        assert count_users() == LOADED_ROWS
        call_command("migrate", "users", "zero", verbosity=0)
        assert "users_user" not in connection.introspection.table_names()
    finally:
        call_command("migrate", verbosity=0)
    assert count_users() == 0


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_migrate_sets_lock_and_statement_timeouts(settings):
    settings.MIGRATE_LOCK_TIMEOUT = "3s"
    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SHOW lock_timeout")
        assert cursor.fetchone() == ("3s",)
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone() == ("30min",)
        cursor.execute("SET lock_timeout = 0; SET statement_timeout = 0")


@pytest.mark.django_db
def test_database_outage_is_a_503_page(superuser_client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed")

    monkeypatch.setattr("users.views.keyset_page", unreachable)
    response = superuser_client.get(reverse("users:list"))
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Temporarily unavailable" in response.content
    monkeypatch.undo()
    assert superuser_client.get(reverse("users:list")).status_code == 200


@pytest.mark.django_db
def test_health_and_readiness(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ok"}


@pytest.mark.django_db
def test_readiness_reports_pending_migrations(client, monkeypatch):
    monkeypatch.setattr(
        "noogh_site.health._migrations_on_disk",
        lambda: frozenset({("users", "9999_future")}),
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "migrations pending"


@pytest.mark.django_db
def test_readiness_reports_an_unreachable_database(client, monkeypatch):
    def unreachable(self):
        raise OperationalError("could not connect")

    monkeypatch.setattr(
        "django.db.migrations.recorder.MigrationRecorder.applied_migrations",
        unreachable,
    )
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "database unreachable"
