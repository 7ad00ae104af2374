"""The replica router when the replica is down, lagging or unreachable, the
security state that never reads it, and the pin that travels with the client.

Runs on SQLite and PostgreSQL: a working "replica" is a second connection to
the test database, a broken one a database that cannot be opened (a closed
port, a file in a folder that does not exist).
"""

import time

import pytest
from axes.models import AccessAttempt
from django.db import connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from noogh_site import replica_health, routers
from noogh_site.routers import PIN_COOKIE, PrimaryReplicaRouter
from users.models import User

from .factories import SuperuserFactory, UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.filterwarnings("ignore:Overriding setting DATABASES"),
]


def install_replica(settings, **changes):
    primary = connections["default"]
    replica = type(primary)(dict(primary.settings_dict) | changes, alias="replica")
    connections["replica"] = replica
    settings.DATABASES = {**settings.DATABASES, "replica": replica.settings_dict}
    return replica


@pytest.fixture(autouse=True)
def fresh_health(monkeypatch):
    """Each test starts with no probe made (the state is per process)."""
    monkeypatch.setattr(routers, "health", replica_health.ReplicaHealth("replica"))
    yield routers.health
    if "replica" in connections:
        connections["replica"].close()
        del connections["replica"]


@pytest.fixture
def replica(settings):
    return install_replica(settings)


@pytest.fixture
def dead_replica(settings):
    """A replica alias whose database cannot be reached."""
    if connections["default"].vendor == "postgresql":
        return install_replica(
            settings, PORT="1", OPTIONS={"connect_timeout": 1}, HOST="127.0.0.1"
        )
    return install_replica(settings, NAME="/nonexistent-noogh-dir/replica.sqlite3")


def reads_on(alias: str, client, url: str, method: str = "get", **data):
    with CaptureQueriesContext(connections[alias]) as captured:
        response = getattr(client, method)(url, data)
    return response, captured.captured_queries


def test_a_healthy_replica_takes_the_reads(replica, fresh_health):
    assert PrimaryReplicaRouter().db_for_read(User) == "replica"
    assert fresh_health.usable and fresh_health.lag == 0


def test_reads_fall_back_to_the_primary_when_the_replica_is_down(
    client, dead_replica, fresh_health
):
    client.force_login(SuperuserFactory())
    UserFactory(username="still-listed")
    started = time.monotonic()
    response, queries = reads_on("default", client, reverse("users:list"))
    assert response.status_code == 200 and queries
    assert b"still-listed" in response.content
    assert fresh_health.usable is False and fresh_health.lag is None
    # One probe with a short connect timeout, then the last answer is reused.
    assert time.monotonic() - started < 5
    assert PrimaryReplicaRouter().db_for_read(User) == "default"


def test_a_read_the_replica_fails_is_answered_again_from_the_primary(
    dead_replica, fresh_health
):
    """The probe said "well" a moment ago, then the replica died: the page
    still answers 200, from the primary, and the replica is marked down."""
    client = Client(raise_request_exception=False)
    client.force_login(SuperuserFactory())
    account = UserFactory(full_name="Ada Lovelace")
    fresh_health.usable, fresh_health.checked_at = True, time.monotonic()
    response = client.get(reverse("users:detail", args=[account.pk]))
    assert response.status_code == 200
    assert b"Ada Lovelace" in response.content
    assert fresh_health.usable is False
    assert PIN_COOKIE not in response.cookies  # it wrote nothing


def test_a_write_the_replica_failed_is_not_repeated(dead_replica, fresh_health):
    """A POST may have written before it failed: it is never run twice; the
    client gets the database error page (503) and decides to retry itself."""
    client = Client(raise_request_exception=False)
    root = SuperuserFactory()
    account = UserFactory(full_name="Before")
    client.force_login(root)
    fresh_health.usable, fresh_health.checked_at = True, time.monotonic()
    data = {
        "username": account.username,
        "email": account.email,
        "full_name": "After",
        "is_active": "on",
    }
    response = client.post(reverse("users:edit", args=[account.pk]), data)
    assert response.status_code == 503
    assert User.objects.using("default").get(pk=account.pk).full_name == "Before"


def test_a_replica_lagging_more_than_allowed_is_not_read(
    replica, fresh_health, settings, monkeypatch
):
    settings.REPLICA_MAX_LAG_SECONDS = 3
    monkeypatch.setattr(routers.health, "refresh", fresh_health.refresh)
    monkeypatch.setattr(replica_health, "probe", lambda alias: 3.5)
    assert PrimaryReplicaRouter().db_for_read(User) == "default"
    monkeypatch.setattr(replica_health, "probe", lambda alias: 1.5)
    fresh_health.checked_at = float("-inf")
    assert PrimaryReplicaRouter().db_for_read(User) == "replica"


def test_the_replica_is_probed_once_per_interval(
    replica, fresh_health, settings, monkeypatch
):
    settings.REPLICA_CHECK_SECONDS = 60
    probes = []
    monkeypatch.setattr(replica_health, "probe", lambda alias: probes.append(1) or 0)
    router = PrimaryReplicaRouter()
    for _ in range(20):
        assert router.db_for_read(User) == "replica"
    assert len(probes) == 1


def test_lockouts_and_sessions_are_read_from_the_primary(client, replica):
    """A failed login counted on the primary must stop the next try at once,
    whatever the replica has replayed."""
    router = PrimaryReplicaRouter()
    assert router.db_for_read(AccessAttempt) == "default"
    from django.contrib.sessions.models import Session

    assert router.db_for_read(Session) == "default"
    UserFactory(username="victim")
    response, replica_queries = reads_on(
        "replica",
        client,
        reverse("login"),
        method="post",
        username="victim",
        password="wrong",
    )
    assert response.status_code == 200
    assert not [q for q in replica_queries if "axes_" in q["sql"]]


def test_the_pin_travels_with_the_client_not_the_process(replica):
    """The write happened through one client; another client (as a second app
    server sees it: no shared memory) is pinned only by the cookie it carries."""
    writer = Client()
    writer.force_login(SuperuserFactory())
    data = {"username": "grace", "email": "grace@navy.mil", "is_active": "on"}
    response = writer.post(reverse("users:create"), data)
    assert response.status_code == 302
    cookie = response.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 5 and cookie["httponly"]

    elsewhere = Client()
    elsewhere.cookies = writer.cookies  # the browser's cookies, nothing else
    page, replica_queries = reads_on("replica", elsewhere, response["Location"])
    assert page.status_code == 200 and b"grace" in page.content
    assert replica_queries == []

    elsewhere.cookies.pop(PIN_COOKIE)
    page, replica_queries = reads_on("replica", elsewhere, response["Location"])
    assert page.status_code == 200 and replica_queries
