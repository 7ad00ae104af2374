"""The list page's queries do not grow with its rows, whatever they show:
deactivated accounts (whose suspensions the rules ask about), superusers (the
last-superuser rule), a group's members."""

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from users import services

from .factories import SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db
LIST = reverse("users:list")


def queries(client, query: dict) -> tuple[int, str]:
    client.get(LIST, query)  # the first request also refreshes the session
    with CaptureQueriesContext(connection) as captured:
        response = client.get(LIST, query | {"per_page": "100"})
    assert response.status_code == 200
    return len(captured), response.content.decode()


def deactivated(count: int, *, suspended: int = 0) -> list:
    """count deactivated accounts, the first `suspended` of them suspended
    (suspending deactivates)."""
    users = UserFactory.create_batch(suspended)
    for user in users:
        services.user_suspend(actor=None, user=user, reason="other")
    return users + UserFactory.create_batch(count - suspended, is_active=False)


@pytest.mark.parametrize(
    "query",
    [{"is_active": "false"}, {"status": "deactivated"}, {"status": "suspended"}],
)
def test_deactivated_rows_cost_no_query_each(superuser_client, query):
    deactivated(3, suspended=2)
    few, _ = queries(superuser_client, query)
    deactivated(40, suspended=20)
    assert queries(superuser_client, query)[0] == few


def test_a_suspended_row_offers_no_activate_and_a_deactivated_one_does(
    superuser_client,
):
    suspended, plain = deactivated(2, suspended=1)
    _, html = queries(superuser_client, {"is_active": "false"})
    assert reverse("users:activate", args=[plain.pk]) in html
    assert reverse("users:activate", args=[suspended.pk]) not in html


def test_superusers_and_group_members_cost_no_query_each(superuser_client):
    team = Group.objects.create(name="Team")
    for user in SuperuserFactory.create_batch(3):
        user.groups.add(team)
    few, _ = queries(superuser_client, {"group": str(team.pk)})
    for user in SuperuserFactory.create_batch(30):
        user.groups.add(team)
    assert queries(superuser_client, {"group": str(team.pk)})[0] == few
