import json

import pytest
from django.urls import reverse

from .factories import PASSWORD, staff_with

pytestmark = pytest.mark.django_db


def security_lines(caplog) -> list[dict]:
    return [json.loads(r.message) for r in caplog.records if r.name == "noogh.security"]


def test_login_events_are_structured_lines_without_passwords(client, caplog):
    staff_with("view_user", username="ada")
    with caplog.at_level("INFO", logger="noogh.security"):
        client.post(reverse("login"), {"username": "ada", "password": "Wr0ng-secret"})
        client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
        client.get(reverse("users:create"))  # a viewer may not create: 403
        client.post(reverse("logout"))
    lines = security_lines(caplog)
    assert [line["event"] for line in lines] == [
        "login_failed",
        "login",
        "forbidden",
        "logout",
    ]
    for line in lines:
        assert line["user"] == "ada"
        assert line["ip"] == "127.0.0.1"
        assert line["time"].endswith("+00:00")
    assert lines[2]["path"] == "/users/new/"
    assert "Wr0ng-secret" not in caplog.text and PASSWORD not in caplog.text


def test_lockouts_are_logged(client, caplog):
    with caplog.at_level("INFO", logger="noogh.security"):
        for _ in range(5):
            client.post(reverse("login"), {"username": "ada", "password": "x"})
    assert "lockout" in [line["event"] for line in security_lines(caplog)]
