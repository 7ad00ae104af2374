import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from users.models import User

pytestmark = pytest.mark.django_db


def snapshot():
    return list(
        User.objects.order_by("username").values_list(
            "username", "email", "full_name", "is_active", "created_at"
        )
    )


def test_seed_is_deterministic_and_idempotent(capsys):
    call_command("seed_users", "--count", "50", "--seed", "3")
    first = snapshot()
    assert len(first) == 50
    call_command("seed_users", "--count", "50", "--seed", "3")
    assert snapshot() == first
    assert "Seeded 0 new users" in capsys.readouterr().out
    User.objects.all().delete()
    call_command("seed_users", "--count", "50", "--seed", "3")
    assert snapshot() == first


def test_seeded_users_are_valid_and_cannot_log_in():
    call_command("seed_users", "--count", "20")
    for user in User.objects.all():
        user.full_clean()
        assert not user.has_usable_password()


def test_demo_superuser_login_is_printed(capsys, client):
    call_command("seed_users", "--count", "0", "--demo-superuser")
    out = capsys.readouterr().out
    password = out.split("password ")[1].split()[0]
    response = client.post(
        reverse("login"), {"username": "admin", "password": password}
    )
    assert response.status_code == 302
    call_command("seed_users", "--count", "0", "--demo-superuser")
    assert User.objects.superusers().count() == 1


def test_negative_count_is_refused():
    with pytest.raises(CommandError, match="--count"):
        call_command("seed_users", "--count", "-1")
