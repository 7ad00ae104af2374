"""Reads on a replica, writes on the primary, read-your-writes: two real aliases."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from noogh_site.routers import PIN_COOKIE, PrimaryReplicaRouter
from users.models import User

from .factories import SuperuserFactory
from .markers import postgres_only

pytestmark = [
    postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Overriding setting DATABASES"),
]


@pytest.fixture
def replica(settings):
    """A second alias on the same (test) database, standing in for a replica."""
    primary = connections["default"]
    # A connection made here (not from settings) is one Django's test case lets
    # this test use; the router sees the alias in settings.DATABASES.
    replica = type(primary)(dict(primary.settings_dict), alias="replica")
    connections["replica"] = replica
    settings.DATABASES = {**settings.DATABASES, "replica": replica.settings_dict}
    yield replica
    replica.close()
    del connections["replica"]


def queries_on(alias: str, client, method: str, url: str, **data):
    with CaptureQueriesContext(connections[alias]) as captured:
        response = getattr(client, method)(url, data)
    return response, len(captured)


def test_reads_go_to_the_replica_and_writes_to_the_primary(client, replica):
    router = PrimaryReplicaRouter()
    assert router.db_for_read(User) == "replica"
    root = SuperuserFactory()
    client.force_login(root)
    client.cookies.pop(PIN_COOKIE, None)

    response, replica_reads = queries_on(
        "replica", client, "get", reverse("users:list")
    )
    assert response.status_code == 200 and replica_reads > 0
    assert PIN_COOKIE not in response.cookies

    data = {"username": "grace", "email": "grace@navy.mil", "is_active": "on"}
    response, _ = queries_on("default", client, "post", reverse("users:create"), **data)
    assert response.status_code == 302
    assert response.cookies[PIN_COOKIE]["max-age"] == 5
    # The page the form redirects to reads the primary: the new user is there
    # even if the replica has not caught up yet.
    detail, replica_reads = queries_on("replica", client, "get", response["Location"])
    assert detail.status_code == 200 and replica_reads == 0
    assert User.objects.using("replica").filter(username="grace").exists()


def test_reads_inside_a_transaction_use_the_primary(replica):
    from django.db import transaction

    router = PrimaryReplicaRouter()
    with transaction.atomic():
        assert router.db_for_read(User) == "default"
    assert router.db_for_read(User) == "replica"
    assert router.allow_migrate("replica", "users") is False
