"""A database outage is a 503 page, any other error a 500 page; health and
readiness endpoints for the load balancer and the deploy."""

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from .factories import SuperuserFactory


@pytest.mark.django_db
@pytest.mark.parametrize(
    "failing",
    [
        "users.web.views.page_and_count",  # in the view
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
    monkeypatch.setattr("users.web.views.page_and_count", broken)
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
