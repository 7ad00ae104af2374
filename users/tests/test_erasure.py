"""Erasure that keeps the trail: the person's values leave the account and
every audit event about or by it, replaced by stable keyed pseudonyms."""

import json

import pytest
from axes.models import AccessLog
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from users import services
from users.models import AuditEvent, User, UserSession
from users.pseudonyms import pseudonym

from .factories import PASSWORD, SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db

OLD_EMAIL = "zoe.old@example.com"
EMAIL = "zoe.quinn@example.com"


def erase_form(account, **changes) -> dict:
    return {
        "basis": "request",
        "detail": "ticket 4711",
        "confirm": account.username,
    } | (changes)


@pytest.fixture
def zoe_with_a_past(settings):
    """A staff member with a history: renamed, re-addressed, signed in,
    mailed a link, and the actor of a change to someone else."""
    settings.MAILERS = {
        "default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    }
    boss = SuperuserFactory(username="boss")
    zoe = staff_with("view_user", "change_user", username="zoe", email=OLD_EMAIL)
    services.user_update(actor=boss, user=zoe, email=EMAIL, full_name="Zoë Quinn")
    services.user_send_password_link(actor=boss, user=zoe, base_url="http://x")
    Client(REMOTE_ADDR="203.0.113.9").post(
        reverse("login"), {"username": "zoe", "password": PASSWORD}
    )
    services.user_deactivate(actor=zoe, user=UserFactory(username="victim"))
    return zoe


def trail_text() -> str:
    return json.dumps(
        list(AuditEvent.objects.values("actor_label", "target_label", "changes", "ip"))
    )


def test_erasure_replaces_the_person_everywhere_and_keeps_the_story(
    client, login, zoe_with_a_past
):
    zoe = zoe_with_a_past
    login(User.objects.get(username="boss"))
    events_before = AuditEvent.objects.count()
    response = client.post(reverse("users:erase", args=[zoe.pk]), erase_form(zoe))

    erased = User.objects.get(pk=zoe.pk)
    assert response.status_code == 302
    assert erased.username == pseudonym("username", "zoe")
    assert erased.email == pseudonym("email", EMAIL)
    assert erased.full_name == pseudonym("full_name", "Zoë Quinn")
    assert not erased.has_usable_password()
    assert (erased.is_active, erased.is_staff, erased.is_superuser) == (
        False,
        False,
        False,
    )
    assert not erased.user_permissions.exists()
    assert not UserSession.objects.filter(user=erased).exists()
    assert not AccessLog.objects.filter(username="zoe").exists()

    text = trail_text()
    for personal in ("zoe", OLD_EMAIL, EMAIL, "Zoë Quinn", "203.0.113.9"):
        assert personal not in text.replace(pseudonym("username", "zoe"), "")
    assert AuditEvent.objects.count() == events_before + 1
    # The story is still told, linkably: the old address became the new one.
    change = AuditEvent.objects.filter(target_id=zoe.pk, action="update").get()
    assert change.changes["email"] == [pseudonym("email", OLD_EMAIL), erased.email]
    sent = AuditEvent.objects.get(action="password_link")
    assert sent.changes["password_link"][1] == f"reset sent to {erased.email}"
    deactivation = AuditEvent.objects.get(action="deactivate")
    assert (deactivation.actor_label, deactivation.target_label) == (
        erased.username,
        "victim",
    )
    erasure = AuditEvent.objects.get(action="erase")
    assert erasure.actor_label == "boss"
    assert erasure.changes["basis"][1] == (
        "The account holder asked to be forgotten: ticket 4711"
    )


def test_pseudonyms_are_stable_and_keyed(settings):
    first = pseudonym("email", "Ada@Example.com")
    assert first == pseudonym("email", "ada@example.com")
    assert first.endswith("@erased.invalid") and "ada" not in first
    settings.ERASURE_KEY = "another key"
    assert pseudonym("email", "ada@example.com") != first


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"confirm": "ZOE"}, "confirm", "not the username"),
        ({"confirm": ""}, "confirm", "required"),
        ({"basis": "other", "detail": ""}, "detail", "Say which basis"),
        ({"basis": "forgotten"}, "basis", "Select a valid choice"),
        ({"detail": "x" * 501}, "detail", "at most 500"),
        ({"confirm": "zoe\x00"}, "confirm", "Null characters"),
    ],
)
def test_the_form_refuses_and_nothing_changes(
    superuser_client, changes, field, message
):
    zoe = UserFactory(username="zoe")
    response = superuser_client.post(
        reverse("users:erase", args=[zoe.pk]), erase_form(zoe, **changes)
    )
    assert response.status_code == 200
    assert message in str(response.context["form"].errors[field])
    assert User.objects.get(pk=zoe.pk).username == "zoe"
    assert not AuditEvent.objects.filter(action="erase").exists()


@pytest.mark.parametrize(
    ("actor", "target", "refusal"),
    [
        (lambda: staff_with("view_user", "delete_user"), SuperuserFactory, "superuser"),
        (
            lambda: staff_with("view_user", "delete_user"),
            lambda: staff_with("view_user", "change_user", "delete_user"),
            "permission",
        ),
        (lambda: staff_with("view_user", "change_user"), UserFactory, "permission"),
    ],
)
def test_erasure_follows_the_rule_of_deleting(client, login, actor, target, refusal):
    login(actor())
    account = target()
    response = client.post(
        reverse("users:erase", args=[account.pk]), erase_form(account), follow=True
    )
    assert response.status_code in (200, 403)
    assert refusal in response.content.decode().lower()
    assert User.objects.get(pk=account.pk).username == account.username


def test_nobody_erases_the_last_superuser_or_an_erased_account(superuser_client):
    with pytest.raises(CommandError, match="last active superuser"):
        only = User.objects.get(is_superuser=True)
        call_command(
            "erase_user", only.username, "--basis", "x", "--confirm", only.username
        )
    zoe = UserFactory(username="zoe")
    call_command("erase_user", "zoe", "--basis", "request", "--confirm", "zoe")
    erased = User.objects.get(pk=zoe.pk)
    response = superuser_client.get(reverse("users:erase", args=[zoe.pk]), follow=True)
    assert "erased already" in response.content.decode()
    assert User.objects.get(pk=zoe.pk).username == erased.username


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody", "--basis", "x", "--confirm", "nobody"], "No user named"),
        (["zoe", "--basis", "x", "--confirm", "Zoe"], "repeat the username"),
        (["zoe", "--basis", "  ", "--confirm", "zoe"], "--basis must say why"),
        (["zoe", "--basis", "x" * 501, "--confirm", "zoe"], "--basis must say why"),
    ],
)
def test_the_command_names_what_is_wrong(arguments, message):
    UserFactory(username="zoe")
    with pytest.raises(CommandError, match=message):
        call_command("erase_user", *arguments)
    assert User.objects.filter(username="zoe").exists()


def test_without_a_key_nothing_is_erased(settings):
    settings.ERASURE_KEY = ""
    UserFactory(username="zoe")
    with pytest.raises(CommandError, match="ERASURE_KEY"):
        call_command("erase_user", "zoe", "--basis", "x", "--confirm", "zoe")
    assert User.objects.filter(username="zoe").exists()
    assert not AuditEvent.objects.filter(action="erase").exists()


@pytest.mark.slow
def test_ten_thousand_events_take_a_bounded_number_of_queries(
    superuser_client, django_assert_max_num_queries
):
    zoe = UserFactory(username="zoe", email=EMAIL)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            action="update",
            actor_label="boss",
            target_id=zoe.pk,
            target_label="zoe",
            changes={"email": [f"old{n}@example.com", EMAIL]} if n % 10 == 0 else {},
        )
        for n in range(10_000)
    )
    with django_assert_max_num_queries(60):
        services.user_erase(actor=None, user=zoe, basis="test")
    assert "zoe" not in trail_text().replace(pseudonym("username", "zoe"), "")
    assert EMAIL not in trail_text()


def test_the_delete_page_recommends_erasure_and_the_admin_leads_there(
    superuser_client,
):
    zoe = UserFactory(username="zoe")
    page = superuser_client.get(reverse("users:delete", args=[zoe.pk]))
    assert reverse("users:erase", args=[zoe.pk]) in page.content.decode()
    response = superuser_client.post(
        reverse("admin:users_user_changelist"),
        {"action": "erase_selected", "_selected_action": [zoe.pk]},
    )
    assert response["Location"] == reverse("users:erase", args=[zoe.pk])


def test_erasure_leaves_other_accounts_events_as_they_were(client, login):
    """An eraser who first renames the account to another person's value
    (here: an address the account once changed on a victim) cannot scrub
    that value out of the events the account made about other people."""
    rogue = staff_with("view_user", "change_user", "delete_user", username="rogue")
    helper = staff_with("view_user", "change_user", username="helper")
    victim = UserFactory(username="victim", email="victim.old@example.com")
    services.user_update(actor=helper, user=victim, email="victim.new@example.com")
    login(rogue)
    services.user_update(actor=rogue, user=helper, full_name="victim.old@example.com")
    response = client.post(reverse("users:erase", args=[helper.pk]), erase_form(helper))

    assert response.status_code == 302
    change = AuditEvent.objects.get(target_id=victim.pk, action="update")
    assert change.changes["email"] == [
        "victim.old@example.com",
        "victim.new@example.com",
    ]
    assert change.target_label == "victim"
    assert change.actor_label == pseudonym("username", "helper")
