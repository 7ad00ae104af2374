"""Argon2 as measured (finding 5): 19 MiB per hash, a bound on hashes at once,
and older hashes verifying and upgraded at the next login."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import argon2
import pytest
from django.contrib.auth.hashers import (
    Argon2PasswordHasher,
    PBKDF2PasswordHasher,
    check_password,
    identify_hasher,
    make_password,
)
from django.test import Client
from django.urls import reverse

from noogh_site import settings as project_settings
from users.models import User

from .factories import PASSWORD, staff_with


@pytest.fixture
def real_hashers(settings):
    """The project's hashers (the suite otherwise hashes with MD5 for speed)."""
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS
    return settings


def argon2_parameters(encoded: str) -> tuple[int, int, int]:
    decoded = identify_hasher(encoded).decode(encoded)
    return decoded["memory_cost"], decoded["time_cost"], decoded["parallelism"]


def test_new_hashes_use_the_measured_parameters(real_hashers):
    encoded = make_password(PASSWORD)
    assert encoded.startswith("argon2$argon2id$")
    assert argon2_parameters(encoded) == (19 * 1024, 2, 1)
    assert check_password(PASSWORD, encoded)
    assert not check_password("wrong", encoded)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "old_hash",
    [
        lambda: Argon2PasswordHasher().encode(PASSWORD, "saltsaltsaltsalt"),
        lambda: PBKDF2PasswordHasher().encode(PASSWORD, "saltsalt", iterations=1000),
    ],
    ids=["argon2 at Django's default 100 MiB", "pbkdf2"],
)
def test_old_hashes_still_log_in_and_are_upgraded(real_hashers, old_hash):
    ada = staff_with("view_user", username="ada")
    User.objects.filter(pk=ada.pk).update(password=old_hash())
    client = Client()
    response = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})
    assert response.status_code == 302
    ada.refresh_from_db()
    assert argon2_parameters(ada.password) == (19 * 1024, 2, 1)
    assert ada.check_password(PASSWORD)


@pytest.fixture
def concurrency_spy(monkeypatch):
    """Counts Argon2 runs in flight (each made to last 50 ms, so they overlap)."""
    state = {"now": 0, "peak": 0, "runs": 0}
    lock = threading.Lock()

    def spied(real):
        def run(*args, **kwargs):
            with lock:
                state["now"] += 1
                state["runs"] += 1
                state["peak"] = max(state["peak"], state["now"])
            try:
                time.sleep(0.05)
                return real(*args, **kwargs)
            finally:
                with lock:
                    state["now"] -= 1

        return run

    monkeypatch.setattr(
        argon2.low_level, "hash_secret", spied(argon2.low_level.hash_secret)
    )
    monkeypatch.setattr(
        argon2._password_hasher,
        "verify_secret",
        spied(argon2._password_hasher.verify_secret),
    )
    return state


@pytest.mark.parametrize("bound", [1, 2])
@pytest.mark.slow
def test_a_burst_of_logins_hashes_at_most_the_bound_at_once(
    real_hashers, concurrency_spy, bound
):
    real_hashers.LOGIN_HASH_CONCURRENCY = bound
    encoded = make_password(PASSWORD)
    concurrency_spy["peak"] = 0
    with ThreadPoolExecutor(8) as pool:
        hashed = list(pool.map(lambda _: make_password(PASSWORD), range(8)))
        verified = list(pool.map(lambda _: check_password(PASSWORD, encoded), range(8)))
    assert all(verified) and all(check_password(PASSWORD, h) for h in hashed)
    assert concurrency_spy["peak"] == bound


@pytest.mark.django_db
def test_an_unknown_login_costs_one_hash_like_a_wrong_password(
    real_hashers, concurrency_spy
):
    """Same work, so the same time: the response time does not tell."""
    staff_with("view_user", username="ada")
    costs = {}
    for login in ("ada", "nobody"):
        concurrency_spy["runs"] = 0
        Client().post(reverse("login"), {"username": login, "password": "wrong"})
        costs[login] = concurrency_spy["runs"]
    assert costs == {"ada": 1, "nobody": 1}
