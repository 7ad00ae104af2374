"""Login: lockouts (django-axes), one message for every failure, sessions."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from users import services

from .factories import PASSWORD, staff_with

pytestmark = pytest.mark.django_db
LOGIN = reverse("login")


def attempt(client, username, password="wrong-password", **headers):
    return client.post(LOGIN, {"username": username, "password": password}, **headers)


def viewer(username: str = "ada"):
    """An account the staff login admits."""
    return staff_with("view_user", username=username, email=f"{username}@example.com")


def test_unknown_user_and_wrong_password_get_the_same_message(client):
    viewer()
    unknown = attempt(client, "nobody").context["form"].non_field_errors()
    wrong = attempt(client, "ada").context["form"].non_field_errors()
    assert unknown == wrong


def test_username_is_locked_at_the_fifth_failure_with_a_429(client):
    viewer()
    for _ in range(4):
        assert attempt(client, "ada").status_code == 200
    assert attempt(client, "ada").status_code == 429
    locked = attempt(client, "ada", PASSWORD)
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content
    assert "_auth_user_id" not in client.session


def test_forged_forwarded_for_does_not_change_the_key(client):
    viewer()
    for n in range(5):
        attempt(client, "ada", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}")
    assert (
        attempt(client, "ada", PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9").status_code
        == 429
    )


def test_an_ip_gets_a_looser_limit_across_usernames(client):
    viewer()
    for n in range(19):
        assert attempt(client, f"guess{n}").status_code == 200
    assert attempt(client, "ada", PASSWORD).status_code == 302  # 19 < 20: still in
    client.logout()
    for n in range(20):
        attempt(client, f"again{n}")
    assert attempt(client, "ada", PASSWORD).status_code == 429


def test_lockout_ends_after_the_cool_off(client):
    viewer()
    for _ in range(5):
        attempt(client, "ada")
    assert attempt(client, "ada", PASSWORD).status_code == 429
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert attempt(client, "ada", PASSWORD).status_code == 302


def test_login_rotates_the_session_key(client):
    viewer()
    anonymous = client.session.session_key  # a session from before logging in
    assert attempt(client, "ada", PASSWORD).status_code == 302
    assert client.session.session_key != anonymous


def test_a_deactivated_users_open_session_stops_working(client):
    staff = staff_with("view_user")
    client.force_login(staff)
    assert client.get(reverse("users:list")).status_code == 200
    services.user_deactivate(user=staff)
    response = client.get(reverse("users:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_a_password_change_ends_that_users_other_sessions(client):
    staff = staff_with("view_user")
    client.force_login(staff)
    services.user_set_password(user=staff, password="a-brand-new-passw0rd")
    response = client.get(reverse("users:list"))
    assert response.status_code == 302


def test_idle_sessions_expire_and_activity_extends_them(client, settings):
    staff = staff_with("view_user")
    client.force_login(staff)
    client.get(reverse("users:list"))
    session = Session.objects.get(session_key=client.session.session_key)
    remaining = session.expire_date - timezone.now()
    assert remaining <= timedelta(seconds=settings.SESSION_COOKIE_AGE)
    # Two minutes later, a request pushes the expiry out again.
    stored = client.session
    stored["_noogh_refreshed"] -= 120
    stored.save()
    Session.objects.filter(pk=session.pk).update(
        expire_date=session.expire_date - timedelta(minutes=2)
    )
    client.get(reverse("users:list"))
    renewed = Session.objects.get(session_key=client.session.session_key).expire_date
    assert renewed > session.expire_date - timedelta(minutes=1)


def test_an_expired_session_is_logged_out():
    staff = staff_with("view_user")
    client = Client()
    client.force_login(staff)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(reverse("users:list")).status_code == 302


ADMIN_OWN_PASSWORD = reverse("admin:password_change")


def change_own_password(client, old_password):
    new = "a-new-and-long-passphrase"
    return client.post(
        ADMIN_OWN_PASSWORD,
        {"old_password": old_password, "new_password1": new, "new_password2": new},
    )


def test_the_admins_own_password_page_limits_old_password_guesses():
    """A signed-in session (a stolen cookie, a desk left unlocked) could try
    passwords of its account at /admin/password_change/ without limit: the old
    password was checked outside the lockouts. Each wrong one now counts as a
    failed login of the account from that address."""
    ada = viewer()
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.force_login(ada)
    statuses = [change_own_password(client, f"guess-{n}").status_code for n in range(5)]
    assert statuses == [200] * 4 + [429]
    # Locked out: even the right password is not checked, nor changed.
    assert change_own_password(client, PASSWORD).status_code == 429
    ada.refresh_from_db()
    assert ada.check_password(PASSWORD)
    # The same account's tries as at the login, from that address.
    same_address = Client(REMOTE_ADDR="198.51.100.7")
    assert attempt(same_address, "ada", PASSWORD).status_code == 429


def test_the_admins_own_password_page_still_changes_it_with_the_right_one():
    ada = viewer()
    client = Client(REMOTE_ADDR="198.51.100.8")
    client.force_login(ada)
    assert change_own_password(client, "one-wrong-guess").status_code == 200
    assert change_own_password(client, PASSWORD).status_code == 302
    ada.refresh_from_db()
    assert ada.check_password("a-new-and-long-passphrase")
