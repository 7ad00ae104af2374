"""schemathesis against /api/openapi.json: generated requests to every
operation, as a superuser's token, through the WSGI application in-process.
No 500, and every answer whose status the schema documents matches it.

Few examples per operation by default; NOOGH_FULL_CORPUS=1 (CI's PostgreSQL
run) generates more.
"""

import json
import os

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from noogh_site.wsgi import application
from users.api.site import api

from .api import token_for
from .factories import SuperuserFactory

EXAMPLES = 60 if os.environ.get("NOOGH_FULL_CORPUS") == "1" else 12
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@pytest.fixture
def keep_the_test_connection():
    """Calling the WSGI application directly sends request_started/finished,
    whose close_old_connections would close the connection holding the test's
    transaction (PostgreSQL); Django's test client disconnects it the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def root_token(db, keep_the_test_connection) -> str:
    SuperuserFactory()  # another superuser: the generated calls may remove one
    return token_for(SuperuserFactory(username="root"))


def test_the_served_schema_is_the_one_tested(client):
    served = client.get("/api/openapi.json").json()
    assert served == json.loads(json.dumps(api.get_openapi_schema(), default=str))


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.slow
def test_api_conforms_to_its_schema(case, root_token):
    response = case.call_and_validate(
        app=application,
        headers={"Authorization": f"Bearer {root_token}"},
        checks=[not_a_server_error, response_schema_conformance],
    )
    assert response.status_code != 401  # the calls did get in
