"""Lockouts count per account, not per typed string (finding 3), and a login
forgives only its own account's failures from its own address (finding 2)."""

import pytest
from django.test import Client
from django.urls import reverse

from .factories import PASSWORD, staff_with

pytestmark = pytest.mark.django_db
LOGIN = reverse("login")
FULLWIDTH_ROOT1 = "\uff52\uff4f\uff4f\uff54\uff11"  # "root1" in fullwidth forms


def attempt(client, username, password="wrong-password"):
    return client.post(LOGIN, {"username": username, "password": password})


def from_address(ip: str) -> Client:
    return Client(REMOTE_ADDR=ip)


@pytest.fixture
def root1():
    return staff_with("view_user", username="root1", email="Root1@example.com")


def test_every_spelling_of_one_account_shares_its_five_tries(root1):
    client = from_address("198.51.100.1")
    spellings = ["root1", "ROOT1", "Root1", FULLWIDTH_ROOT1, "root1@EXAMPLE.com"]
    statuses = [attempt(client, login).status_code for login in spellings]
    assert statuses == [200, 200, 200, 200, 429]
    # Locked for that account from that address, whatever is typed next.
    assert attempt(client, "rOOt1", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_fullwidth_username_logs_in_as_its_account(root1):
    client = from_address("198.51.100.1")
    assert attempt(client, FULLWIDTH_ROOT1, PASSWORD).status_code == 302
    assert int(client.session["_auth_user_id"]) == root1.pk


def test_unknown_logins_are_throttled_like_known_ones(root1):
    known, unknown = from_address("198.51.100.1"), from_address("198.51.100.2")
    for _ in range(4):
        assert attempt(known, "root1").status_code == 200
    for spelling in ["nobody", "NOBODY", "Nobody", " nobody", "\uff4eobody"]:
        last = attempt(unknown, spelling)
    assert last.status_code == 429
    known_locked = attempt(known, "root1")
    assert known_locked.status_code == 429
    # The same page, the same headers: nothing tells which login has an account.
    assert known_locked.content == last.content
    assert known_locked["Retry-After"] == last["Retry-After"]


def test_a_lockout_holds_one_address_only(root1):
    attacker, owner = from_address("198.51.100.1"), from_address("203.0.113.5")
    for _ in range(5):
        attempt(attacker, "root1")
    assert attempt(attacker, "root1", PASSWORD).status_code == 429
    assert attempt(owner, "root1", PASSWORD).status_code == 302


def test_logins_with_a_valid_account_do_not_reset_the_addresss_failures(root1):
    """Finding 2: a valid (here staff) account, logged in between guesses at
    other accounts, no longer buys more guesses: the IP locks at 20."""
    staff_with("view_user", username="mallory")
    client = from_address("198.51.100.66")
    for guess in range(20):
        expected = 429 if guess == 19 else 200
        assert attempt(client, f"victim{guess}").status_code == expected
        if guess % 4 == 3 and guess < 19:
            assert attempt(client, "mallory", PASSWORD).status_code == 302
            client.post(reverse("logout"))
    assert attempt(client, "mallory", PASSWORD).status_code == 429
    assert attempt(client, "root1", PASSWORD).status_code == 429


def test_a_login_forgives_its_own_accounts_failures_there_only(root1):
    client = from_address("198.51.100.7")
    for _ in range(4):
        attempt(client, "root1")
    assert attempt(client, "root1", PASSWORD).status_code == 302
    client.post(reverse("logout"))
    # root1 has five tries again from here ...
    for _ in range(4):
        assert attempt(client, "root1").status_code == 200
    assert attempt(client, "root1").status_code == 429
    # ... and the four forgiven failures still count against the address:
    # 4 forgiven + 5 + 11 more = 20.
    other = from_address("198.51.100.7")
    for guess in range(10):
        assert attempt(other, f"someone{guess}").status_code == 200
    assert attempt(other, "someone-else").status_code == 429
