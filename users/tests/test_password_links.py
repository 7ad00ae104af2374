"""Invitations and reset links, sent over SMTP to a real server (aiosmtpd)
started by the test, then followed the way the account holder would."""

import re
import socket
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.contrib.auth.tokens import default_token_generator
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from users.models import AuditEvent, User

from .factories import SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/accounts/password/\S+/")
NEW_PASSWORD = "a brand new passphrase 91"
INVITE = {
    "username": "grace",
    "email": "grace@example.com",
    "full_name": "Grace Hopper",
    "is_active": "on",
    "invite": "on",
}


class Inbox:
    """aiosmtpd handler: keeps every message the server accepted."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append(message)
        return "250 Message accepted"

    def link(self, index: int = -1) -> str:
        body = self.messages[index].get_content()
        return LINK.search(body).group(0)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def smtp_mailer(port: int) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def inbox(settings):
    """A real SMTP server on a free port; the site's mail goes to it."""
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = smtp_mailer(controller.port)
    yield received
    controller.stop()


@pytest.fixture
def mail_server_down(settings):
    settings.MAILERS = smtp_mailer(free_port())  # nothing listens there


def set_password_through(link: str, password: str = NEW_PASSWORD):
    """What the account holder does: open the link, type the password twice."""
    browser = Client()
    opened = browser.get(link, follow=True)
    assert b"Set your password" in opened.content
    return browser.post(
        opened.redirect_chain[-1][0],
        {"new_password1": password, "new_password2": password},
    )


def test_a_reset_link_goes_out_by_smtp_and_works_once(client, login, inbox):
    actor = login("superuser")
    account = UserFactory(email="ada@example.com")
    response = client.post(reverse("users:password_link", args=[account.pk]))
    assert response.status_code == 302
    [message] = inbox.messages
    assert message["To"] == "ada@example.com"
    assert message["Subject"] == "Reset your password"
    link = inbox.link()
    assert link.startswith("http://testserver/accounts/password/")

    done = set_password_through(link)
    assert done.status_code == 302
    assert done["Location"] == reverse("password_link_done")
    account.refresh_from_db()
    assert account.check_password(NEW_PASSWORD)
    sent, changed = AuditEvent.objects.filter(target_id=account.pk).order_by("id")
    assert (sent.action, sent.actor_id) == ("password_link", actor.pk)
    assert sent.changes == {"password_link": [None, "reset sent to ada@example.com"]}
    assert (changed.action, changed.actor_id) == ("password", account.pk)

    again = Client().get(link, follow=True)
    assert b"This link does not work" in again.content


def test_an_invitation_creates_the_account_without_a_password(superuser_client, inbox):
    response = superuser_client.post(
        reverse("users:create"),
        INVITE,
    )
    assert response.status_code == 302
    grace = User.objects.get(username="grace")
    assert not grace.has_usable_password()
    [message] = inbox.messages
    assert message["Subject"] == "You are invited: set your password"
    assert "grace" in message.get_content()
    assert set_password_through(inbox.link()).status_code == 302
    grace.refresh_from_db()
    assert grace.check_password(NEW_PASSWORD)


def test_invite_and_password_together_is_a_field_error(superuser_client, inbox):
    response = superuser_client.post(
        reverse("users:create"),
        INVITE
        | {
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
        },
    )
    assert response.status_code == 200
    assert "not both" in str(response.context["form"].errors["password2"])
    assert not User.objects.filter(username="grace").exists()
    assert inbox.messages == []


def test_a_mail_server_that_is_down_creates_and_records_nothing(
    superuser_client, mail_server_down
):
    response = superuser_client.post(
        reverse("users:create"),
        INVITE,
    )
    assert response.status_code == 200
    assert b"could not be sent" in response.content
    assert not User.objects.filter(username="grace").exists()

    account = UserFactory()
    events = AuditEvent.objects.count()
    response = superuser_client.post(
        reverse("users:password_link", args=[account.pk]), follow=True
    )
    assert b"could not be sent" in response.content
    assert AuditEvent.objects.count() == events


@pytest.mark.parametrize(
    ("target", "refusal"),
    [
        (lambda: SuperuserFactory(), "superuser"),
        (lambda: staff_with("view_user", "delete_user"), "permission"),
        (lambda: UserFactory(is_active=False), "deactivated"),
        (lambda: UserFactory(email=""), "no email"),
    ],
)
def test_links_obey_the_rules_of_setting_a_password(
    client, login, inbox, target, refusal
):
    login(staff_with("view_user", "change_user"))
    account = target()
    response = client.post(
        reverse("users:password_link", args=[account.pk]), follow=True
    )
    page = response.content.decode()
    assert refusal in page.lower() or refusal in page
    assert inbox.messages == []
    assert not AuditEvent.objects.filter(action="password_link").exists()


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/password/MQ/not-a-token/",
        "/accounts/password/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA/x-y/",
        "/accounts/password/%00/%00/",
        "/accounts/password/" + "A" * 5000 + "/set-password/",
        "/accounts/password/OTk5OTk5OTk5OTk5OTk5OTk5OTk5/abc-def/",
    ],
)
def test_hostile_links_say_they_do_not_work(path):
    response = Client().get(path, follow=True)
    assert response.status_code in (200, 404)
    if response.status_code == 200:
        assert b"This link does not work" in response.content


def test_an_expired_link_does_not_work(client, login, inbox, monkeypatch, settings):
    login("superuser")
    account = UserFactory()
    client.post(reverse("users:password_link", args=[account.pk]))
    later = default_token_generator._now().timestamp() + settings.PASSWORD_RESET_TIMEOUT
    monkeypatch.setattr(
        default_token_generator,
        "_now",
        lambda: __import__("datetime").datetime.fromtimestamp(later + 5),
    )
    opened = Client().get(inbox.link(), follow=True)
    assert b"This link does not work" in opened.content


def test_the_command_sends_a_link_to_the_site_url(inbox):
    account = UserFactory(username="zoe", email="zoe@example.com")
    call_command("send_password_link", "ZOE", "--base-url", "https://admin.example.com")
    assert inbox.link().startswith("https://admin.example.com/accounts/password/")
    event = AuditEvent.objects.get(action="password_link")
    assert (event.target_id, event.actor_id) == (account.pk, None)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody", "--base-url", "https://admin.example.com"], "No user named"),
        (["zoe", "--base-url", "javascript:alert(1)"], "--base-url"),
        (["zoe", "--base-url", ""], "--base-url"),
    ],
)
def test_the_command_names_what_is_wrong(inbox, arguments, message):
    UserFactory(username="zoe")
    with pytest.raises(CommandError, match=message):
        call_command("send_password_link", *arguments)
    assert inbox.messages == []


def test_the_admin_action_sends_one_link_per_account(client, login, inbox):
    login("superuser")
    accounts = UserFactory.create_batch(2)
    locked = SuperuserFactory(is_active=False)
    response = client.post(
        reverse("admin:users_user_changelist"),
        {
            "action": "send_password_links_selected",
            "_selected_action": [user.pk for user in [*accounts, locked]],
        },
        follow=True,
    )
    assert sorted(message["To"] for message in inbox.messages) == sorted(
        user.email for user in accounts
    )
    page = response.content.decode()
    assert "Sent 2 password link(s)." in page
    assert "deactivated" in page
