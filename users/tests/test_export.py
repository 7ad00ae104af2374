import csv
import io

import pytest
from django.urls import reverse

from users.export import EXPORT_FIELDS

from .factories import UserFactory

pytestmark = pytest.mark.django_db


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


@pytest.mark.parametrize(
    "value", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)"]
)
def test_formula_cells_are_neutralised(superuser_client, value):
    user = UserFactory(full_name=value)
    rows = exported(superuser_client)
    row = next(row for row in rows if row["username"] == user.username)
    assert row["full_name"] == "'" + value


def test_export_with_invalid_filters_is_refused(superuser_client):
    response = superuser_client.get(reverse("users:export"), {"is_active": "maybe"})
    assert response.status_code == 400
