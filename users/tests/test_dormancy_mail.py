"""The dormant-account policy's warning e-mail, sent by `manage.py
lifecycle` over SMTP to a real server (aiosmtpd) started by the test: once
per idle period, K days before, and waited for."""

import pytest
from aiosmtpd.controller import Controller

from users.models import AuditEvent, DormancyWarning, User

from .dormancy import AFTER, days_ago, dormant_policy, idle, lifecycle  # noqa: F401
from .test_password_links import Inbox, free_port, smtp_mailer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dormant_policy")]
Action = AuditEvent.Action
WARN = 14


@pytest.fixture
def inbox(settings):
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.MAILERS = smtp_mailer(controller.port)
    settings.DORMANT_WARN_DAYS = WARN
    settings.SITE_URL = "https://noogh.example"
    yield received
    controller.stop()


def warned_at(user, days: float) -> None:
    DormancyWarning.objects.update_or_create(
        user=user, defaults={"sent_at": days_ago(days)}
    )


def test_the_warning_goes_out_once_and_the_account_is_kept_meanwhile(inbox):
    soon = idle(AFTER - 10, username="soon", email="soon@example.com")
    idle(AFTER - 20, username="fine")
    out, _ = lifecycle()
    assert "Warned 1 dormant account(s)." in out
    (message,) = inbox.messages
    assert message["To"] == "soon@example.com"
    assert message["Subject"] == "Your account will be deactivated: sign in to keep it"
    body = message.get_content()
    assert '"soon"' in body and "https://noogh.example/accounts/login/" in body
    (event,) = AuditEvent.objects.filter(action=Action.DORMANT_WARN)
    assert (event.target_id, event.actor_label) == (soon.pk, "policy")
    assert DormancyWarning.objects.filter(user=soon).exists()
    out, _ = lifecycle()  # a rerun sends nothing again
    assert "Warned 0 dormant account(s)." in out and len(inbox.messages) == 1
    assert User.objects.get(pk=soon.pk).is_active


def test_deactivated_only_once_the_warning_is_k_days_old(inbox):
    late = idle(AFTER + 3, username="late")  # dormant, never warned
    no_mail = idle(AFTER + 3, username="nomail", email="")
    out, _ = lifecycle()
    assert "Warned 1 dormant account(s)." in out
    assert "Deactivated 1 dormant account(s)." in out  # the one without e-mail
    assert not User.objects.get(pk=no_mail.pk).is_active
    assert User.objects.get(pk=late.pk).is_active
    warned_at(late, WARN - 1)
    lifecycle()
    assert User.objects.get(pk=late.pk).is_active
    warned_at(late, WARN + 1)
    out, _ = lifecycle()
    assert "Deactivated 1 dormant account(s)." in out
    assert not User.objects.get(pk=late.pk).is_active
    assert len(inbox.messages) == 1


def test_a_later_login_starts_a_new_period(inbox):
    back = idle(AFTER - 5, username="back")
    warned_at(back, AFTER + 30)  # sent before its last login: an old period's
    lifecycle()
    assert [m["To"] for m in inbox.messages] == [back.email]
    assert DormancyWarning.objects.get(user=back).sent_at > days_ago(1)


def test_a_mail_server_that_refuses_records_nothing_and_the_next_run_sends(
    inbox, settings
):
    user = idle(AFTER - 5)
    up = settings.MAILERS
    settings.MAILERS = smtp_mailer(free_port())  # nothing listens there
    out, err = lifecycle()
    assert "Warned 0 dormant account(s)." in out
    assert "Warning not sent (retried next run)" in err and user.username in err
    assert not DormancyWarning.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.DORMANT_WARN).exists()
    settings.MAILERS = up
    out, _ = lifecycle()
    assert "Warned 1 dormant account(s)." in out and len(inbox.messages) == 1


def test_dry_run_sends_nothing(inbox):
    idle(AFTER - 5, username="soon")
    out, _ = lifecycle("--dry-run")
    assert "Would warn (dormant soon): 1 account(s)" in out and "soon" in out
    assert not inbox.messages and not DormancyWarning.objects.exists()
