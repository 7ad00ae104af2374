import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from users.models import User

from .factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def login_as(**credentials):
    # django-axes needs the request to know the client's address.
    return authenticate(RequestFactory().post("/accounts/login/"), **credentials)


@pytest.mark.parametrize(
    "login", ["Ada.L", "ada.l", "ADA@example.com", "ada@EXAMPLE.com"]
)
def test_login_with_username_or_email_in_any_case(login):
    user = UserFactory(username="Ada.L", email="Ada@example.com")
    assert login_as(username=login, password=PASSWORD) == user


@pytest.mark.parametrize(
    ("login", "password"),
    [("ada", "wrong-password"), ("nobody", PASSWORD), ("", PASSWORD)],
)
def test_login_refused(login, password):
    UserFactory(username="ada")
    assert login_as(username=login, password=password) is None


def test_inactive_user_cannot_log_in():
    UserFactory(username="ada", is_active=False)
    assert login_as(username="ada", password=PASSWORD) is None


def test_createsuperuser_works_through_the_services(monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-enough-pass")
    call_command(
        "createsuperuser", "--noinput", username="Root", email="Root@Example.COM"
    )
    root = User.objects.get_by_username("root")
    assert root.is_superuser and root.is_staff
    assert root.email == "Root@example.com"
    assert login_as(username="ROOT@example.com", password="a-long-enough-pass")


def test_createsuperuser_refuses_a_case_duplicate(monkeypatch):
    UserFactory(username="root")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-enough-pass")
    with pytest.raises(CommandError, match="already exists"):
        call_command("createsuperuser", "--noinput", username="ROOT", email="r@x.org")
    assert User.objects.count() == 1
