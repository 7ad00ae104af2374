import csv
import io
import json
from pathlib import Path

import pytest
from django.urls import reverse

from users.export import EXPORT_FIELDS, original
from users.models import AuditEvent

from .factories import UserFactory

pytestmark = pytest.mark.django_db
SHAPES = json.loads(
    (Path(__file__).parent / "data" / "hostile_shapes.json").read_text()
)


def exported(client, **params) -> list[dict]:
    response = client.get(reverse("users:export"), params)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="users-')
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_export_has_a_header_and_honours_the_filters(superuser_client):
    UserFactory(username="zoe", full_name="Zoë Ångström", is_active=False)
    UserFactory(username="yan", full_name="Yan", is_active=True)
    rows = exported(superuser_client, is_active="false")
    assert [row["username"] for row in rows] == ["zoe"]
    assert rows[0]["full_name"] == "Zoë Ångström"
    assert rows[0]["is_active"] == "false"
    assert list(rows[0]) == list(EXPORT_FIELDS)
    assert "password" not in rows[0]


def test_export_keeps_the_sort_order(superuser_client):
    for name in ("b", "c", "a"):
        UserFactory(username=name, is_staff=False)
    rows = exported(superuser_client, ordering="-username", is_staff="false")
    assert [row["username"] for row in rows] == ["c", "b", "a"]


def test_formula_cells_are_neutralised_wherever_a_spreadsheet_could_split(
    superuser_client,
):
    users = {
        UserFactory(full_name=value).username: value
        for value in SHAPES["formula_cells"]
    }
    for row in exported(superuser_client):
        if row["username"] in users:
            value = users[row["username"]]
            assert row["full_name"] == "'" + value, value
            assert original(row["full_name"]) == value


def test_plain_cells_are_left_alone(superuser_client):
    users = {
        UserFactory(full_name=value).username: value for value in SHAPES["plain_cells"]
    }
    for row in exported(superuser_client):
        if row["username"] in users:
            assert row["full_name"] == users[row["username"]]
            assert original(row["full_name"]) == users[row["username"]]


def test_every_cell_is_quoted(superuser_client):
    UserFactory(full_name="Bob;=cmd|' /C calc'!A0")
    response = superuser_client.get(reverse("users:export"))
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.splitlines()
    assert lines[0] == ",".join(f'"{name}"' for name in EXPORT_FIELDS)
    for line in lines[1:]:
        assert line.startswith('"') and line.endswith('"'), line
        assert line.count('","') == len(EXPORT_FIELDS) - 1, line


def test_a_head_request_is_not_an_export(superuser_client):
    exports = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT)
    response = superuser_client.head(reverse("users:export"), {"is_active": "true"})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert not exports.exists()
    assert (
        superuser_client.head(reverse("users:export"), {"is_active": "x"}).status_code
        == 400
    )
    exported(superuser_client)
    assert exports.count() == 1


def test_export_with_invalid_filters_is_refused(superuser_client):
    response = superuser_client.get(reverse("users:export"), {"is_active": "maybe"})
    assert response.status_code == 400
