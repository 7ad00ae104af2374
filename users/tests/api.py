"""Helpers for the API tests: a token for a user, a client that sends it."""

from datetime import timedelta

from django.test import Client

from users import services


def token_for(user, *, name: str = "tests", days: int = 30) -> str:
    """A new token's plaintext for user (made as they would, MFA passed)."""
    _, plaintext = services.token_create(
        actor=user,
        name=name,
        lifetime=timedelta(days=days),
        enrolled=False,
        passed_second_factor=True,
    )
    return plaintext


def bearer_client(user=None, *, token: str | None = None) -> Client:
    """A client (no session, no CSRF cookie) that sends a bearer token."""
    token = token or token_for(user)
    return Client(
        raise_request_exception=False, headers={"Authorization": f"Bearer {token}"}
    )
