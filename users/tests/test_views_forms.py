"""Create, edit, (de)activate and delete through the staff pages, with guard rails."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from users.models import User

from .factories import PASSWORD, SuperuserFactory, UserFactory, edit_data

pytestmark = pytest.mark.django_db

NEW_USER = {
    "username": "grace",
    "email": "grace@navy.mil",
    "full_name": "Grace Hopper",
    "is_active": "on",
    "password1": "cobol-1959-compiler",
    "password2": "cobol-1959-compiler",
}


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_create_user(superuser_client):
    response = superuser_client.post(reverse("users:create"), NEW_USER)
    grace = User.objects.get_by_username("grace")
    assert response.status_code == 302
    assert response["Location"] == reverse("users:detail", args=[grace.pk])
    assert grace.check_password("cobol-1959-compiler")
    assert "Created user grace." in messages_of(response)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"username": "two words"}, "username", "Enter a valid username"),
        ({"password2": "something-else"}, "password2", "do not match"),
        ({"password1": "123", "password2": "123"}, "password2", "too short"),
        ({"email": ""}, "email", "This field is required."),
    ],
)
def test_create_form_errors_sit_beside_the_field(
    superuser_client, changes, field, message
):
    response = superuser_client.post(reverse("users:create"), NEW_USER | changes)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert f'id="id_{field}_error"' in response.content.decode()
    assert not User.objects.filter(username="grace").exists()


def test_create_duplicate_in_another_case_is_a_field_error(superuser_client):
    UserFactory(email="GRACE@navy.mil")
    response = superuser_client.post(reverse("users:create"), NEW_USER)
    assert response.context["form"].errors["email"] == [
        "A user with that email already exists."
    ]


def test_edit_user(client, login):
    target = UserFactory(full_name="Old")
    login("changer")
    data = edit_data(target, full_name="New", is_active=False)
    response = client.post(reverse("users:edit", args=[target.pk]), data)
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.full_name == "New"
    # An unticked checkbox is sent as nothing: the form deactivated the user.
    assert not target.is_active


def test_staff_cannot_grant_superuser_status_by_posting_it(client, login):
    target = UserFactory()
    login("changer")
    data = edit_data(target, is_superuser=True, is_staff=True)
    client.post(reverse("users:edit", args=[target.pk]), data)
    target.refresh_from_db()
    assert not target.is_superuser and not target.is_staff


def test_staff_cannot_edit_a_superuser(client, login):
    root = SuperuserFactory(full_name="Root")
    login("changer")
    page = client.get(reverse("users:edit", args=[root.pk]))
    assert page.status_code == 302
    assert "Only a superuser" in " ".join(messages_of(page))
    data = edit_data(root, full_name="Pwned")
    response = client.post(reverse("users:edit", args=[root.pk]), data)
    assert "Only a superuser" in response.content.decode()
    root.refresh_from_db()
    assert root.full_name == "Root"


def test_nobody_deactivates_or_deletes_themselves(client, login):
    me = login("superuser")
    SuperuserFactory()
    response = client.post(reverse("users:deactivate", args=[me.pk]))
    assert "You cannot deactivate your own account." in messages_of(response)
    response = client.post(reverse("users:delete", args=[me.pk]))
    assert "You cannot delete your own account." in messages_of(response)
    me.refresh_from_db()
    assert me.is_active


def test_the_last_active_superuser_cannot_demote_itself(client, login):
    me = login("superuser")
    data = edit_data(me, is_superuser=False)
    response = client.post(reverse("users:edit", args=[me.pk]), data)
    assert "last active superuser" in response.content.decode()
    me.refresh_from_db()
    assert me.is_superuser


def test_edit_form_error_keeps_values_and_writes_nothing(client, login):
    target = UserFactory(email="keep@example.com", full_name="Kept")
    login("changer")
    data = edit_data(target, email="broken", full_name="Changed")
    response = client.post(reverse("users:edit", args=[target.pk]), data)
    assert response.status_code == 200
    assert 'value="Changed"' in response.content.decode()
    target.refresh_from_db()
    assert (target.email, target.full_name) == ("keep@example.com", "Kept")


def test_delete_confirmation_then_delete(superuser_client):
    target = UserFactory()
    confirm = superuser_client.get(reverse("users:delete", args=[target.pk]))
    assert b"Yes, delete this user" in confirm.content
    assert User.objects.filter(pk=target.pk).exists()
    superuser_client.post(reverse("users:delete", args=[target.pk]))
    assert not User.objects.filter(pk=target.pk).exists()


def test_deactivate_then_login_is_refused(superuser_client):
    target = UserFactory()
    superuser_client.post(reverse("users:deactivate", args=[target.pk]))
    visitor = Client()
    response = visitor.post(
        reverse("login"), {"username": target.username, "password": PASSWORD}
    )
    assert response.status_code == 200  # the form again, not a redirect
    assert "_auth_user_id" not in visitor.session


def test_next_parameter_cannot_redirect_off_site(superuser_client):
    target = UserFactory()
    response = superuser_client.post(
        reverse("users:deactivate", args=[target.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("users:detail", args=[target.pk])


@pytest.mark.parametrize(
    ("role", "url_name", "missing"),
    [
        ("viewer", "users:delete", ["the permission “Can delete user”"]),
        ("viewer", "users:create", ["the permission “Can add user”"]),
        ("staff", "users:list", ["the permission “Can view user”"]),
        ("non_staff", "users:list", ["staff status", "“Can view user”"]),
    ],
)
def test_403_says_what_is_missing(client, login, role, url_name, missing):
    login(role)
    target = UserFactory()
    args = [target.pk] if url_name == "users:delete" else []
    response = client.get(reverse(url_name, args=args))
    assert response.status_code == 403
    page = response.content.decode()
    for needed in missing:
        assert needed in page
    assert "which your account lacks" in page
