"""Deploy-time behaviour: migrate on a loaded table, timeouts, a database outage."""

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse

from .factories import SuperuserFactory
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
@pytest.mark.parametrize(
    "failing",
    [
        "users.web.views.keyset_page",  # in the view
        "users.models.User.get_full_name",  # in the template, rendered later
        "noogh_site.middleware.SlidingSessionMiddleware.__call__",  # a middleware
    ],
)
def test_database_outage_is_a_503_page(monkeypatch, failing):
    def unreachable(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 failed")

    client = Client(raise_request_exception=False)
    root = SuperuserFactory()
    client.force_login(root)
    monkeypatch.setattr(failing, unreachable)
    url = reverse("users:list")
    if "get_full_name" in failing:
        url = reverse("users:detail", args=[root.pk])
    response = client.get(url)
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert b"Temporarily unavailable" in response.content
    monkeypatch.undo()
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_other_errors_stay_a_500_page(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("a bug")

    client = Client(raise_request_exception=False)
    client.force_login(SuperuserFactory())
    monkeypatch.setattr("users.web.views.keyset_page", broken)
    response = client.get(reverse("users:list"))
    assert response.status_code == 500
    assert b"Something went wrong on our side" in response.content


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
