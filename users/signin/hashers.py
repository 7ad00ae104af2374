"""Argon2 with parameters chosen by measurement and a bound on hashing at once."""

import threading
from functools import cache

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher


@cache
def _gate(size: int) -> threading.BoundedSemaphore:
    """One semaphore per process (per configured size, so tests can change it)."""
    return threading.BoundedSemaphore(size)


class BoundedArgon2PasswordHasher(Argon2PasswordHasher):
    """Argon2id at OWASP's m=19 MiB, t=2, p=1, at most LOGIN_HASH_CONCURRENCY
    hashes at a time in each process.

    Every hash holds its memory cost for its whole run, so a burst of logins
    multiplies it: with Django's default (100 MiB) 32 logins at once took
    2.6 GB (bench/argon2_params.py). Behind the gate the others wait, and the
    memory in use stays at size x 19 MiB. The algorithm name stays "argon2":
    stored hashes with other parameters verify (behind the same gate, at their
    own cost) and must_update() has Django rehash them at the next login.
    """

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1

    def encode(self, password, salt):
        with _gate(settings.LOGIN_HASH_CONCURRENCY):
            return super().encode(password, salt)

    def verify(self, password, encoded):
        with _gate(settings.LOGIN_HASH_CONCURRENCY):
            return super().verify(password, encoded)
