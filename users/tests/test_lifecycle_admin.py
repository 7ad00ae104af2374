"""The lifecycle in the admin: the status filter, the suspension on the
change page, lifting (through the services, all or nothing) and suspending
(on the staff page, which asks why)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from users import services
from users.models import AuditEvent, Suspension

from .factories import SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:users_user_changelist"


def suspended(**fields):
    user = UserFactory(**fields)
    services.user_suspend(actor=None, user=user, reason="abuse", note="spam run")
    return user


def test_status_filter_and_change_page(superuser_client):
    zoe = suspended(username="zoe")
    UserFactory(username="plain", is_active=False)
    UserFactory(username="leaving", active_until=timezone.now() + timedelta(days=2))
    url = reverse(CHANGELIST)
    names = lambda status: {  # noqa: E731
        user.username
        for user in superuser_client.get(url, {"status": status})
        .context["cl"]
        .result_list
    }
    assert names("suspended") == {"zoe"}
    assert "plain" in names("deactivated") and "zoe" not in names("deactivated")
    assert names("expiring") == {"leaving"}
    page = superuser_client.get(reverse("admin:users_user_change", args=[zoe.pk]))
    assert "Abuse of the terms of use" in page.content.decode()
    assert "spam run" in page.content.decode()


def test_lift_action_lifts_through_the_services(superuser_client):
    users = [suspended(), suspended(), UserFactory()]
    response = superuser_client.post(
        reverse(CHANGELIST),
        {
            "action": "lift_suspension_selected",
            "_selected_action": [u.pk for u in users],
        },
    )
    assert response.status_code == 302
    assert not Suspension.objects.exists()
    assert AuditEvent.objects.filter(action="lift").count() == 2


def test_lift_action_is_all_or_nothing(client):
    changer = staff_with("view_user", "change_user")
    client.force_login(changer)
    below, above = suspended(), SuperuserFactory()
    SuperuserFactory()  # not the last one
    services.user_suspend(actor=None, user=above, reason="security")
    client.post(
        reverse(CHANGELIST),
        {
            "action": "lift_suspension_selected",
            "_selected_action": [below.pk, above.pk],
        },
    )
    assert Suspension.objects.count() == 2
    assert not AuditEvent.objects.filter(action="lift").exists()


def test_suspend_action_opens_the_staff_page(superuser_client):
    zoe = UserFactory()
    response = superuser_client.post(
        reverse(CHANGELIST),
        {"action": "suspend_selected", "_selected_action": [zoe.pk]},
    )
    assert response["Location"] == reverse("users:suspend", args=[zoe.pk])
