"""Usernames of at most 100 characters (the seed's schema): every entry point
says so in words, the database refuses longer ones, and the migration that
brought the limit stops a deploy with a list rather than failing later."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connection, transaction
from django.urls import reverse

from users import services
from users.models import User

from .factories import SuperuserFactory, UserFactory
from .test_import_users import HEADER, errors_of, write
from .test_views_forms import NEW_USER

pytestmark = pytest.mark.django_db

LONGEST = "a" * 100
TOO_LONG = "a" * 101
SAYS = "at most 100 characters (it has 101)"


def test_the_model_and_its_help_say_100():
    field = User._meta.get_field("username")
    assert field.max_length == 100
    assert "100 characters or fewer" in field.help_text


def test_the_create_page_accepts_100_and_refuses_101(superuser_client):
    response = superuser_client.post(
        reverse("users:create"), NEW_USER | {"username": TOO_LONG}
    )
    assert response.status_code == 200
    assert SAYS in " ".join(response.context["form"].errors["username"])
    assert 'maxlength="100"' in response.content.decode()
    response = superuser_client.post(
        reverse("users:create"), NEW_USER | {"username": LONGEST}
    )
    assert response.status_code == 302
    assert User.objects.get_by_username(LONGEST)


def test_the_admin_refuses_101(superuser_client):
    response = superuser_client.post(
        reverse("admin:users_user_add"),
        {"username": TOO_LONG, "email": "long@example.com", "usable_password": "false"},
    )
    assert response.status_code == 200
    assert SAYS in response.content.decode()
    assert not User.objects.filter(email="long@example.com").exists()


def test_the_services_refuse_101_on_create_and_update():
    root = SuperuserFactory()
    with pytest.raises(ValidationError) as refused:
        services.user_create(actor=root, username=TOO_LONG, email="l@example.com")
    assert SAYS in " ".join(refused.value.message_dict["username"])
    user = UserFactory()
    with pytest.raises(ValidationError, match="at most 100 characters"):
        services.user_update(actor=root, user=user, username=TOO_LONG)
    user.refresh_from_db()
    assert len(user.username) < 100


def test_the_import_names_the_line(tmp_path, capsys):
    path = write(
        tmp_path,
        HEADER + f"ok,ok@example.com,Ok,,,\n{TOO_LONG},long@example.com,Long,,,\n",
    )
    with pytest.raises(CommandError, match="1 row"):
        call_command("import_users", str(path))
    assert [(e["line"], e["field"]) for e in errors_of(path)] == [("3", "username")]
    assert f"line 3: username: Ensure this value has {SAYS}" in capsys.readouterr().err
    assert not User.objects.filter(email="long@example.com").exists()


def run_raw(sql: str, params: list) -> None:
    """SQL as an older release would send it (the model has newer columns)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_raw(username: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO users_user (password, is_superuser, email, username,"
            " full_name, is_active, is_staff, created_at, updated_at, session_epoch)"
            " VALUES ('!', %s, %s, %s, '', %s, %s, %s, %s, 0)",
            [False, f"{username[:20]}@example.com", username, True, False]
            + ["2024-01-01T00:00:00Z"] * 2,
        )


def test_the_database_refuses_101_whatever_writes_it():
    insert_raw(LONGEST)
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_raw("b" * 101)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(username=LONGEST).update(username=LONGEST + "x")
    # A multi-byte letter counts as one character, as in the forms.
    insert_raw("ü" * 100)


@pytest.mark.django_db(transaction=True)
def test_the_migration_stops_with_a_list_of_overlong_usernames():
    try:
        call_command("migrate", "users", "0012", verbosity=0)
        # Raw rows: the model now has columns that 0012 does not.
        insert_raw("fine")
        insert_raw("c" * 120)
        long_one = User.objects.only("pk").get(username="c" * 120)
        with pytest.raises(CommandError) as stopped:
            call_command("migrate", "users", verbosity=0)
        message = str(stopped.value)
        assert "1 username(s) are longer than 100 characters" in message
        assert f"id {long_one.pk}: {'c' * 40}... (120 characters)" in message
        assert "Nothing was changed" in message
        # Nothing was: the database still takes what the old release wrote.
        insert_raw("d" * 130)
        run_raw("DELETE FROM users_user WHERE username = %s", ["d" * 130])
        run_raw(
            "UPDATE users_user SET username = 'shortened' WHERE id = %s", [long_one.pk]
        )
    finally:
        run_raw("DELETE FROM users_user WHERE LENGTH(username) > 100", [])
        call_command("migrate", verbosity=0)
    assert User.objects.filter(pk=long_one.pk, username="shortened").exists()
    with pytest.raises(IntegrityError):
        insert_raw("e" * 101)
