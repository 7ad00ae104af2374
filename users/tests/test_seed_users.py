from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

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


def test_sign_ups_reach_up_to_today(client):
    """Date filters find recent sign-ups in a demo: the newest is from the last
    day, none is in the future, the oldest about three years back."""
    call_command("seed_users", "--count", "300", "--seed", "1")
    now = timezone.now()
    newest = User.objects.latest("created_at").created_at
    oldest = User.objects.earliest("created_at").created_at
    assert now - timedelta(days=1, minutes=1) <= newest <= now
    assert timedelta(days=3 * 365 - 5) <= now - oldest <= timedelta(days=3 * 365 + 1)
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    week_ago = (now - timedelta(days=7)).date().isoformat()
    response = client.get(reverse("users:list"), {"created_after": week_ago})
    assert response.status_code == 200
    assert response.context["page"].rows


def test_last_logins_reach_up_to_today_and_some_never(client):
    """The last-login filters find people in a demo: some never logged in,
    some did in the last week, none after now or before signing up."""
    call_command("seed_users", "--count", "400", "--seed", "2")
    now = timezone.now()
    users = User.objects.exclude(username="root")
    never = users.filter(last_login__isnull=True).count()
    assert 0.15 * 400 < never < 0.35 * 400
    logged_in = users.filter(last_login__isnull=False)
    assert all(u.created_at <= u.last_login <= now for u in logged_in)
    assert logged_in.filter(last_login__gte=now - timedelta(days=7)).exists()
    client.force_login(User.objects.create_superuser("root", "root@example.com", "x"))
    response = client.get(reverse("users:list"), {"last_login": "never"})
    assert len(response.context["page"].rows) == min(never, 25)
