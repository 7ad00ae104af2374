import pytest

from .factories import ROLES, SuperuserFactory


@pytest.fixture
def login(client):
    """Log the test client in as a role (or a given user); returns that user."""

    def as_role(role_or_user):
        user = ROLES[role_or_user]() if isinstance(role_or_user, str) else role_or_user
        if user is not None:
            client.force_login(user)
        return user

    return as_role


@pytest.fixture
def superuser_client(client):
    client.force_login(SuperuserFactory())
    return client


@pytest.fixture
def mfa_required(settings):
    """The site as deployed: staff pass a second factor (off in the rest of the
    suite, see pytest.ini)."""
    settings.MFA_REQUIRED = True
