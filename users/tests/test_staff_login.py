"""The staff logins admit only accounts that can use the staff pages (finding 4)."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from users.signin.forms import NO_STAFF_ACCESS

from .factories import PASSWORD, SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db
LOGINS = [reverse("login"), reverse("admin:login")]
REFUSED = {
    "non_staff": lambda: UserFactory(username="ada"),
    "staff_no_perms": lambda: staff_with(username="ada"),
    "add_only": lambda: staff_with("add_user", username="ada"),
    "delete_only": lambda: staff_with("delete_user", username="ada"),
}
ADMITTED = {
    "view_only": lambda: staff_with("view_user", username="ada"),
    "change_only": lambda: staff_with("change_user", username="ada"),
    "superuser": lambda: SuperuserFactory(username="ada"),
}


def log_in(client, url, password=PASSWORD):
    return client.post(url, {"username": "ada", "password": password})


@pytest.mark.parametrize("url", LOGINS)
@pytest.mark.parametrize("role", REFUSED)
def test_accounts_without_staff_access_are_refused_with_a_clear_message(url, role):
    REFUSED[role]()
    client = Client()
    response = log_in(client, url)
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [NO_STAFF_ACCESS]
    assert "_auth_user_id" not in client.session
    # A wrong password still gets the usual message: only the owner learns why.
    wrong = log_in(Client(), url, password="wrong").context["form"]
    assert wrong.non_field_errors() != [NO_STAFF_ACCESS]


@pytest.mark.parametrize("url", LOGINS)
@pytest.mark.parametrize("role", ADMITTED)
def test_accounts_that_can_see_users_are_admitted(url, role):
    ADMITTED[role]()
    client = Client()
    assert log_in(client, url).status_code == 302
    assert "_auth_user_id" in client.session


def test_refusals_count_as_failures(caplog):
    """Each costs a password hash; uncounted they would be unlimited."""
    UserFactory(username="ada")
    client = Client()
    with caplog.at_level("INFO", logger="noogh.security"):
        statuses = [log_in(client, reverse("login")).status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 429]
    lines = [
        json.loads(r.message) for r in caplog.records if r.name == "noogh.security"
    ]
    refused = [line for line in lines if line["event"] == "login_refused"]
    assert len(refused) == 5
    assert refused[0]["user"] == "ada" and refused[0]["reason"] == "no staff access"


def test_the_403_page_does_not_send_you_back_to_itself(client):
    client.force_login(staff_with(username="ada"))  # e.g. a session from before
    response = client.get(reverse("users:list"))
    assert response.status_code == 403
    page = response.content.decode()
    assert "Back to the user list" not in page
    assert "log out, then log in with an account that can" in page
    client.force_login(staff_with("view_user"))
    response = client.get(reverse("users:create"))
    assert response.status_code == 403
    assert "Back to the user list" in response.content.decode()
