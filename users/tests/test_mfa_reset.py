"""Resetting another account's second factors: audited, under the privilege
hierarchy, on the user's page, in the admin and from the command line; and
the two-factor status shown on the user's page and in the admin."""

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from users import factors
from users.models import AuditEvent

from .factories import SuperuserFactory, UserFactory, staff_with
from .mfa import enrol, verified_client

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_required")]
CHANGER = ("view_user", "change_user")
CHANGELIST = reverse("admin:users_user_changelist")


def reset_url(user) -> str:
    return reverse("users:mfa_reset", args=[user.pk])


def detail(client, user) -> str:
    return client.get(reverse("users:detail", args=[user.pk])).content.decode()


def test_a_reset_is_confirmed_audited_and_ends_the_sessions():
    actor, target = staff_with(*CHANGER), staff_with("view_user")
    device, _ = enrol(target)
    theirs = verified_client(target, device)
    client = verified_client(actor)
    page = client.get(reset_url(target)).content.decode()
    assert "Reset two-factor authentication of" in page
    assert "10 recovery codes left" in page
    response = client.post(reset_url(target))
    assert response["Location"] == reverse("users:detail", args=[target.pk])
    assert not factors.is_enrolled(target)
    event = AuditEvent.objects.get(action=AuditEvent.Action.MFA_RESET)
    assert (event.actor_id, event.target_id, event.ip) == (
        actor.pk,
        target.pk,
        "127.0.0.1",
    )
    assert event.changes["two-factor"][1] == "not enrolled"
    # Their session ended; at the next login they set up a new app.
    assert theirs.get(reverse("users:list"))["Location"].startswith(reverse("login"))
    target.refresh_from_db()  # the new session epoch
    again = Client()
    again.force_login(target)
    assert again.get(reverse("users:list"))["Location"].startswith(reverse("mfa:setup"))


def test_the_users_page_shows_the_status_and_offers_the_reset():
    client = verified_client(SuperuserFactory())
    target = staff_with("view_user")
    page = detail(client, target)
    assert "Not enrolled" in page
    assert reset_url(target) not in page  # nothing to reset
    enrol(target)
    page = detail(client, target)
    assert "Enrolled (authenticator app), 10 recovery codes left" in page
    assert reset_url(target) in page


def test_a_reset_is_neither_offered_nor_done_up_the_hierarchy():
    client = verified_client(staff_with(*CHANGER))
    above = staff_with("view_user", "change_user", "delete_user")
    enrol(above)
    assert reset_url(above) not in detail(client, above)
    opened = client.get(reset_url(above))
    assert opened["Location"] == reverse("users:detail", args=[above.pk])
    client.post(reset_url(above))
    assert factors.is_enrolled(above)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MFA_RESET).exists()


def test_nobody_resets_their_own_factors_here():
    root = SuperuserFactory()
    device, _ = enrol(root)
    client = verified_client(root, device)
    assert reset_url(root) not in detail(client, root)
    response = client.post(reset_url(root), follow=True)
    assert "security page" in response.content.decode()
    assert factors.is_enrolled(root)


def test_viewers_cannot_reset():
    client = verified_client(staff_with("view_user"))
    target = UserFactory()
    enrol(target)
    assert client.post(reset_url(target)).status_code == 403
    assert factors.is_enrolled(target)


def test_the_admin_shows_the_status_on_the_change_page():
    client = verified_client(SuperuserFactory())
    target = staff_with("view_user")
    change = reverse("admin:users_user_change", args=[target.pk])
    assert "Not enrolled" in client.get(change).content.decode()
    enrol(target)
    assert "10 recovery codes left" in client.get(change).content.decode()


def test_the_admin_action_resets_the_selection_and_audits_each():
    client = verified_client(SuperuserFactory())
    enrolled = UserFactory.create_batch(2)
    for user in enrolled:
        enrol(user)
    bare = UserFactory()
    response = client.post(
        CHANGELIST,
        {
            "action": "reset_mfa_selected",
            "_selected_action": [user.pk for user in [*enrolled, bare]],
        },
        follow=True,
    )
    assert "Reset two-factor authentication of 2 user(s)" in response.content.decode()
    assert not any(factors.is_enrolled(user) for user in enrolled)
    events = AuditEvent.objects.filter(action=AuditEvent.Action.MFA_RESET)
    assert sorted(events.values_list("target_id", flat=True)) == sorted(
        user.pk for user in enrolled
    )


def test_the_admin_action_refuses_a_selection_with_an_account_above():
    client = verified_client(staff_with(*CHANGER))
    below, above = staff_with("view_user"), SuperuserFactory()
    enrol(below)
    enrol(above)
    response = client.post(
        CHANGELIST,
        {"action": "reset_mfa_selected", "_selected_action": [below.pk, above.pk]},
        follow=True,
    )
    assert "Only a superuser can change" in response.content.decode()
    assert factors.is_enrolled(below) and factors.is_enrolled(above)


def test_the_command_resets_as_the_system(capsys):
    root = SuperuserFactory(username="root")
    enrol(root)
    call_command("reset_mfa", "ROOT")
    assert "Reset the two-factor authentication of root" in capsys.readouterr().out
    assert not factors.is_enrolled(root)
    event = AuditEvent.objects.get(action=AuditEvent.Action.MFA_RESET)
    assert (event.actor_id, event.actor_label) == (None, "system")


def test_the_admin_action_refuses_a_selection_with_oneself():
    root = SuperuserFactory()
    device, _ = enrol(root)
    client = verified_client(root, device)
    other = UserFactory()
    enrol(other)
    response = client.post(
        CHANGELIST,
        {"action": "reset_mfa_selected", "_selected_action": [root.pk, other.pk]},
        follow=True,
    )
    assert "You cannot reset your own two-factor" in response.content.decode()
    assert factors.is_enrolled(root) and factors.is_enrolled(other)
