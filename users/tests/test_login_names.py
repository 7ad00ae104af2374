"""One login string names at most one account (finding 4): usernames cannot
contain "@", and a login with "@" is looked up as an email only."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from users import services
from users.models import User

from .factories import PASSWORD, SuperuserFactory, UserFactory, edit_data, staff_with
from .markers import postgres_only

pytestmark = pytest.mark.django_db
AT_SIGNS = ["victim@example.com", "VICTIM@EXAMPLE.COM", "a@b", "x\uff20y", "x\ufe6by"]


@pytest.mark.parametrize("username", AT_SIGNS)
def test_the_services_refuse_an_at_sign_in_any_spelling(username):
    with pytest.raises(ValidationError) as caught:
        services.user_create(username=username, email="new@example.com")
    assert "username" in caught.value.message_dict
    assert not User.objects.filter(email="new@example.com").exists()


@pytest.mark.parametrize("username", AT_SIGNS)
def test_the_pages_refuse_it_as_a_field_error(superuser_client, username):
    target = UserFactory()
    response = superuser_client.post(
        reverse("users:edit", args=[target.pk]), edit_data(target, username=username)
    )
    assert "no @" in " ".join(response.context["form"].errors["username"])
    response = superuser_client.post(
        reverse("admin:users_user_add"),
        {"username": username, "email": "n@example.com", "usable_password": "false"},
    )
    assert response.status_code == 200
    assert not User.objects.filter(email="n@example.com").exists()


def test_the_database_refuses_it_too():
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(username="sneaky@example.com")


def test_an_email_login_reaches_its_owner_only(client):
    victim = staff_with("view_user", username="victim", email="victim@example.com")
    UserFactory(username="victim.example.com", email="attacker@example.com")
    response = client.post(
        reverse("login"), {"username": "VICTIM@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == victim.pk


def test_a_superuser_keeps_staff_status(superuser_client):
    other = SuperuserFactory()
    response = superuser_client.post(
        reverse("users:edit", args=[other.pk]), edit_data(other, is_staff=False)
    )
    assert "needs staff status" in response.content.decode()
    other.refresh_from_db()
    assert other.is_staff


@postgres_only
def test_an_old_username_with_an_at_sign_can_still_be_deactivated(superuser_client):
    from django.db import connection

    legacy = UserFactory()
    with connection.cursor() as cursor:
        cursor.execute(
            "ALTER TABLE users_user DISABLE TRIGGER users_user_username_no_at"
        )
        cursor.execute(
            "UPDATE users_user SET username = 'old@name' WHERE id = %s", [legacy.pk]
        )
        cursor.execute(
            "ALTER TABLE users_user ENABLE TRIGGER users_user_username_no_at"
        )
    superuser_client.post(reverse("users:deactivate", args=[legacy.pk]))
    legacy.refresh_from_db()
    assert not legacy.is_active and legacy.username == "old@name"
