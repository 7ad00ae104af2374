"""The lifecycle pages: suspend (with its field errors), lift, the end of
access; what the user's page and the list show; the message at login."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from users import services
from users.models import AuditEvent, Suspension

from .factories import PASSWORD, UserFactory, allow_staff_login

pytestmark = pytest.mark.django_db


def local(when) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def suspend_data(**changes) -> dict:
    until = local(timezone.now() + timedelta(days=2))
    return {"reason": "abuse", "note": "", "until": until, "message": ""} | changes


@pytest.fixture
def target():
    return UserFactory(username="zoe")


def test_suspend_page_suspends_and_the_user_page_shows_it(superuser_client, target):
    url = reverse("users:suspend", args=[target.pk])
    assert superuser_client.get(url).status_code == 200
    data = suspend_data(note="ticket 12", message="Call support")
    response = superuser_client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == reverse("users:detail", args=[target.pk])
    page = superuser_client.get(response["Location"]).content.decode()
    assert "Suspension" in page and "Abuse of the terms of use" in page
    assert "ticket 12" in page and "Call support" in page
    assert "Lift suspension" in page and "(suspended)" in page
    assert Suspension.objects.get(user=target).message == "Call support"


@pytest.mark.parametrize(
    "changes, field, error",
    [
        ({"reason": "bored"}, "reason", "Select a valid choice"),
        ({"reason": ""}, "reason", "This field is required"),
        ({"note": "x" * 501}, "note", "at most 500 characters"),
        ({"message": "x" * 501}, "message", "at most 500 characters"),
        ({"until": "2001-01-01T10:00"}, "until", "this one has passed"),
        ({"until": "yesterday"}, "until", "Enter a valid date/time"),
        ({"reason": "other"}, "note", "Say which reason"),
    ],
)
def test_suspend_field_errors(superuser_client, target, changes, field, error):
    url = reverse("users:suspend", args=[target.pk])
    response = superuser_client.post(url, suspend_data(**changes))
    assert response.status_code == 200
    assert error in " ".join(response.context["form"].errors[field])
    target.refresh_from_db()
    assert target.is_active and not Suspension.objects.exists()


def test_an_end_that_passes_while_the_form_is_open_is_a_field_error(
    superuser_client, target, monkeypatch
):
    """The form saw the future; by the service's turn it is the past."""
    real = services.user_suspend

    def later(**kwargs):
        kwargs["until"] = timezone.now() - timedelta(seconds=1)
        return real(**kwargs)

    monkeypatch.setattr(services, "user_suspend", later)
    response = superuser_client.post(
        reverse("users:suspend", args=[target.pk]), suspend_data()
    )
    assert "Choose a time in the future" in str(response.context["form"].errors)


def test_lift_page_reactivates(superuser_client, target):
    services.user_suspend(actor=None, user=target, reason="billing")
    response = superuser_client.post(reverse("users:lift_suspension", args=[target.pk]))
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.is_active and not Suspension.objects.exists()


def test_active_until_page(superuser_client, target):
    url = reverse("users:active_until", args=[target.pk])
    past = superuser_client.post(url, {"active_until": "2001-01-01T00:00"})
    assert "this one has passed" in str(past.context["form"].errors)
    when = timezone.now() + timedelta(days=3)
    assert superuser_client.post(url, {"active_until": local(when)}).status_code == 302
    target.refresh_from_db()
    assert target.active_until.date() == timezone.localtime(when).date()
    page = superuser_client.get(reverse("users:detail", args=[target.pk]))
    assert "Active until" in page.content.decode()
    assert AuditEvent.objects.filter(action="active_until").count() == 1


def test_list_filters_status_and_expiring(superuser_client):
    suspended = UserFactory(username="suspended1")
    services.user_suspend(actor=None, user=suspended, reason="abuse")
    UserFactory(username="plainoff", is_active=False)
    soon = timezone.now() + timedelta(days=3)
    UserFactory(username="leavingsoon", active_until=soon)
    UserFactory(username="leavinglater", active_until=soon + timedelta(days=20))

    def names(**params):
        response = superuser_client.get(reverse("users:list"), params)
        assert response.status_code == 200
        return {row.username for row in response.context["page"].rows}

    assert names(status="suspended") == {"suspended1"}
    assert "plainoff" in names(status="deactivated")
    assert "suspended1" not in names(status="deactivated")
    assert names(expiring="7d") == {"leavingsoon"}
    assert names(expiring="30d") == {"leavingsoon", "leavinglater"}
    bad = superuser_client.get(reverse("users:list"), {"status": "gone"})
    assert bad.status_code == 400


def login(client, password):
    return client.post(reverse("login"), {"username": "zoe", "password": password})


def test_a_suspended_account_reads_its_message_only_with_its_password(target):
    allow_staff_login(target)
    until = timezone.now() + timedelta(days=2)
    services.user_suspend(
        actor=None, user=target, reason="abuse", until=until, message="Call 555."
    )
    right = login(Client(), PASSWORD).content.decode()
    assert "This account is suspended until" in right and "Call 555." in right
    wrong = login(Client(), "not-the-password").content.decode()
    assert "suspended" not in wrong and "Call 555." not in wrong
    assert "Please enter a correct" in wrong


def test_a_deactivated_account_gets_the_generic_failure(target):
    allow_staff_login(target)
    services.user_deactivate(actor=None, user=target)
    page = login(Client(), PASSWORD).content.decode()
    assert "suspended" not in page and "Please enter a correct" in page
