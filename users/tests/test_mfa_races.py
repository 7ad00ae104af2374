"""One code sent twice at the same moment signs in once (PostgreSQL: django-otp
locks the device row while it checks and spends the code)."""

from functools import partial

import pytest
from django.test import Client
from django.urls import reverse

from .factories import SuperuserFactory
from .markers import postgres_only
from .mfa import code_for, enrol
from .test_races import race

pytestmark = [
    postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("mfa_required"),
]
ROUNDS = 5
VERIFY = reverse("mfa:verify")


def two_sessions(user) -> list[Client]:
    clients = [Client(), Client()]
    for client in clients:
        client.force_login(user)
    return clients


@pytest.mark.parametrize("factor", ["authenticator", "recovery"])
def test_a_code_sent_twice_at_once_signs_in_once(factor):
    for _ in range(ROUNDS):
        root = SuperuserFactory()
        device, recovery_codes = enrol(root)
        code = code_for(device) if factor == "authenticator" else recovery_codes[0]
        outcomes = race(
            *(partial(c.post, VERIFY, {"code": code}) for c in two_sessions(root))
        )
        assert sorted(o.status_code for o in outcomes) == [200, 302], outcomes
