"""Lockouts you can see and lift (finding 4): the 429 page, the staff page, the
audited lift on the page and in the admin."""

import json

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse

from users import services
from users.models import AuditEvent

from .factories import PASSWORD, SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db
LOGIN = reverse("login")
LOCKOUTS = reverse("users:lockouts")
LIFT = reverse("users:lockout_lift")


def fail(login: str, ip: str, times: int = 5):
    client = Client(REMOTE_ADDR=ip)
    for _ in range(times):
        response = client.post(LOGIN, {"username": login, "password": "wrong"})
    return response


def log_in(login: str, ip: str):
    return Client(REMOTE_ADDR=ip).post(LOGIN, {"username": login, "password": PASSWORD})


def viewer(username: str):
    return staff_with("view_user", username=username)


@pytest.fixture
def changer_client(client):
    client.force_login(staff_with("view_user", "change_user", username="helpdesk"))
    return client


def security_lines(caplog) -> list[dict]:
    return [json.loads(r.message) for r in caplog.records if r.name == "noogh.security"]


# --- the page a locked-out client sees ---------------------------------------


def test_the_lockout_page_says_when_in_words_and_who_can_help():
    response = fail("ada", "198.51.100.1")
    assert response.status_code == 429
    assert response["Retry-After"] == "900"
    page = response.content.decode().replace("\xa0", " ")
    assert "Try again in 15 minutes" in page
    assert "a staff member can lift the lockout" in page
    assert "PT15M" not in page and "unlock" not in page.lower()


def test_the_wait_follows_the_setting(settings):
    from datetime import timedelta

    settings.AXES_COOLOFF_TIME = timedelta(minutes=90)
    response = fail("ada", "198.51.100.1")
    assert "Try again in 1 hour, 30 minutes" in response.content.decode().replace(
        "\xa0", " "
    )
    assert response["Retry-After"] == "5400"


# --- the staff page --------------------------------------------------------------


def test_the_page_lists_account_login_and_address_lockouts(changer_client):
    ada = viewer("ada")
    fail("ADA", "198.51.100.1")  # any spelling: one account
    fail("ghost", "198.51.100.2")  # no such account
    for n in range(4):  # 20 failures from one address, five logins
        fail(f"guess{n}", "198.51.100.3")
    page = changer_client.get(LOCKOUTS).content.decode()
    assert f'<a href="{reverse("users:detail", args=[ada.pk])}">ada</a>' in page
    assert "login ghost" in page and "(no such account)" in page
    assert "Every account from this address" in page
    for ip in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert ip in page
    assert page.count('name="ip"') == 2 + 4 + 1  # a Lift button for each row


def test_no_lockouts_says_so(changer_client):
    fail("ada", "198.51.100.1", times=4)  # one short of a lockout
    assert "No lockouts in force." in changer_client.get(LOCKOUTS).content.decode()


def test_lifting_an_accounts_lockout_is_audited_and_lets_it_in(changer_client, caplog):
    ada = viewer("ada")
    fail("ada", "198.51.100.1")
    assert log_in("ada", "198.51.100.1").status_code == 429  # counts too: 6
    data = {"lift": "account", "ip": "198.51.100.1", "login_key": f"user:{ada.pk}"}
    with caplog.at_level("INFO", logger="noogh.security"):
        response = changer_client.post(LIFT, data, REMOTE_ADDR="203.0.113.4")
    assert response.status_code == 302
    assert log_in("ada", "198.51.100.1").status_code == 302
    event = AuditEvent.objects.about(ada).first()
    assert (event.action, event.actor_label, event.ip) == (
        AuditEvent.Action.UNLOCK,
        "helpdesk",
        "203.0.113.4",
    )
    assert event.changes == {"lockout": ["6 failed logins from 198.51.100.1", "lifted"]}
    lines = security_lines(caplog)
    [line] = [each for each in lines if each["event"] == "lockout_lifted"]
    assert (line["event"], line["user"], line["ip"]) == (
        "lockout_lifted",
        "helpdesk",
        "203.0.113.4",
    )
    assert (line["lifted"], line["address"], line["failures"]) == (
        "ada",
        "198.51.100.1",
        6,
    )
    follow = changer_client.get(LOCKOUTS)
    assert "Lifted the lockout of ada (6 failed logins)." in follow.content.decode()


def test_lifting_an_account_keeps_the_addresss_count(changer_client):
    ada = viewer("ada")
    fail("ada", "198.51.100.1")
    changer_client.post(
        LIFT, {"lift": "account", "ip": "198.51.100.1", "login_key": f"user:{ada.pk}"}
    )
    # 5 lifted + 15 more = 20: the address locks all the same.
    for n in range(3):
        fail(f"guess{n}", "198.51.100.1")
    assert log_in("ada", "198.51.100.1").status_code == 429


def test_lifting_an_address_lifts_everything_from_it(changer_client):
    viewer("ada")
    for n in range(4):
        fail(f"guess{n}", "198.51.100.3")
    fail("ada", "198.51.100.3")
    assert log_in("ada", "198.51.100.3").status_code == 429
    response = changer_client.post(LIFT, {"lift": "address", "ip": "198.51.100.3"})
    assert response.status_code == 302
    assert log_in("ada", "198.51.100.3").status_code == 302
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.target_label, event.target_id) == (
        AuditEvent.Action.UNLOCK,
        "IP 198.51.100.3",
        None,
    )


def test_a_lockout_that_ended_meanwhile_is_said_so(changer_client):
    response = changer_client.post(
        LIFT, {"lift": "address", "ip": "198.51.100.9"}, follow=True
    )
    assert "IP 198.51.100.9 was no longer locked out." in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UNLOCK).exists()


def test_a_superusers_lockout_stays_for_lesser_staff(changer_client):
    root = SuperuserFactory(username="root")
    fail("root", "198.51.100.1")
    page = changer_client.get(LOCKOUTS).content.decode()
    assert "Only a superuser can lift it" in page and 'name="ip"' not in page
    response = changer_client.post(
        LIFT,
        {"lift": "account", "ip": "198.51.100.1", "login_key": f"user:{root.pk}"},
        follow=True,
    )
    assert "The lockout of root stays" in response.content.decode()
    assert log_in("root", "198.51.100.1").status_code == 429
    # Nor through the address: that would lift root's lockout too.
    changer_client.post(LIFT, {"lift": "address", "ip": "198.51.100.1"})
    assert log_in("root", "198.51.100.1").status_code == 429
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.UNLOCK).exists()


def test_the_service_refuses_an_actor_without_change_permission():
    ada = viewer("ada")
    fail("ada", "198.51.100.1")
    with pytest.raises(PermissionDenied):
        services.lockout_lift(
            actor=staff_with("view_user"), ip="198.51.100.1", login_key=f"user:{ada.pk}"
        )
    assert log_in("ada", "198.51.100.1").status_code == 429


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"ip": "not-an-ip"},
        {"lift": "account", "ip": "198.51.100.1"},  # which account?
        {"lift": "address", "ip": "198.51.100.1", "login_key": "user:1"},
        {"lift": "everything", "ip": "198.51.100.1"},
        {"lift": "account", "ip": "198.51.100.1", "login_key": "root"},
        {"lift": "account", "ip": "198.51.100.1", "login_key": "user:abc"},
        {"lift": "account", "ip": "198.51.100.1", "login_key": "user:1" + "0" * 300},
    ],
)
def test_a_malformed_lift_is_a_clear_400(changer_client, data):
    response = changer_client.post(LIFT, data)
    assert response.status_code == 400
    assert "Nothing was lifted" in response.content.decode()


# --- the admin ---------------------------------------------------------------------

ADMIN_LIST = reverse("admin:axes_accessattempt_changelist")


def test_the_admin_lists_failures_read_only(changer_client):
    viewer("ada")
    fail("ada", "198.51.100.1")
    page = changer_client.get(ADMIN_LIST).content.decode()
    assert "ada" in page and "198.51.100.1" in page
    assert "delete_selected" not in page
    assert "lift_account_lockouts" in page and "lift_address_lockouts" in page


def test_the_admin_lifts_through_the_service(changer_client):
    from axes.models import AccessAttempt

    ada = viewer("ada")
    fail("ada", "198.51.100.1")
    selected = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = changer_client.post(
        ADMIN_LIST,
        {"action": "lift_account_lockouts", "_selected_action": selected},
        follow=True,
    )
    assert "Lifted 1 lockout(s), 5 failed logins." in response.content.decode()
    assert log_in("ada", "198.51.100.1").status_code == 302
    assert AuditEvent.objects.about(ada).first().action == AuditEvent.Action.UNLOCK


def test_the_admin_refuses_above_the_actor_and_lifts_nothing(changer_client):
    from axes.models import AccessAttempt

    viewer("ada")
    SuperuserFactory(username="root")
    fail("ada", "198.51.100.1")
    fail("root", "198.51.100.1")
    selected = list(AccessAttempt.objects.values_list("pk", flat=True))
    response = changer_client.post(
        ADMIN_LIST,
        {"action": "lift_account_lockouts", "_selected_action": selected},
        follow=True,
    )
    assert "Nothing was lifted" in response.content.decode()
    assert log_in("ada", "198.51.100.1").status_code == 429
    assert log_in("root", "198.51.100.1").status_code == 429


def test_the_admin_cannot_delete_failure_records(changer_client):
    from axes.models import AccessAttempt

    fail("ada", "198.51.100.1")
    attempt = AccessAttempt.objects.get()
    delete = reverse("admin:axes_accessattempt_delete", args=[attempt.pk])
    assert changer_client.post(delete, {"post": "yes"}).status_code == 403
    assert AccessAttempt.objects.filter(pk=attempt.pk).exists()


def test_an_unknown_logins_lockout_can_be_lifted(changer_client):
    UserFactory(username="ada")
    fail("Ghost", "198.51.100.2")
    response = changer_client.post(
        LIFT,
        {"lift": "account", "ip": "198.51.100.2", "login_key": "login:ghost"},
        follow=True,
    )
    assert "Lifted the lockout of login ghost (5 failed logins)." in (
        response.content.decode()
    )
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.target_label, event.target_id) == ("login ghost", None)
