"""Setting up an authenticator app and passing it at sign-in: codes computed as
the app computes them, replays and wrong codes refused, wrong codes slowed
down, recovery codes used once, a line on the security log for each failure."""

import base64
import json
import re
import time

import pytest
from django.test import Client
from django.urls import reverse

from users.models import AuditEvent

from .factories import SuperuserFactory, staff_with
from .mfa import code_for, enrol, verified_client, wrong_code_for

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_required")]
SETUP, VERIFY = reverse("mfa:setup"), reverse("mfa:verify")
CODES, SECURITY = reverse("mfa:recovery_codes"), reverse("mfa:security")
LIST = reverse("users:list")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def security_lines(caplog) -> list[dict]:
    """The second-factor lines of the security log (not the logins)."""
    lines = [
        json.loads(r.message) for r in caplog.records if r.name == "noogh.security"
    ]
    return [line for line in lines if line["event"].startswith("mfa_")]


def shown_secret(response) -> bytes:
    """The key the setup page shows for typing into an app, as bytes."""
    text = response.content.decode()
    secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', text).group(1)
    return base64.b32decode(secret.replace(" ", ""))


def shown_codes(response) -> list[str]:
    return re.findall(
        r"<code>([a-z2-7]{4}-[a-z2-7]{4})</code>", response.content.decode()
    )


# --- setting up ------------------------------------------------------------


def test_setting_up_with_the_shown_secret(caplog):
    root = SuperuserFactory()
    client = signed_in(root)
    page = client.get(SETUP)
    assert page["Cache-Control"].count("no-store") == 1
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()
    key = shown_secret(page)
    assert shown_secret(client.get(SETUP)) == key  # a reload keeps the secret
    with caplog.at_level("INFO", logger="noogh.security"):
        response = client.post(SETUP, {"code": code_for(key), "next": "/users/"})
    assert response["Location"] == f"{CODES}?next=/users/"
    codes = shown_codes(client.get(response["Location"]))
    assert len(codes) == 10 and len(set(codes)) == 10
    # Shown once: the next visit says so instead.
    assert client.get(CODES)["Location"] == SECURITY
    assert client.get(LIST).status_code == 200  # this session passed it
    event = AuditEvent.objects.get(action=AuditEvent.Action.MFA_ENROL)
    assert (event.actor_label, event.target_id) == (root.username, root.pk)
    assert key.hex() not in json.dumps(event.changes)
    assert [line["event"] for line in security_lines(caplog)] == ["mfa_enrolled"]


def test_a_wrong_first_code_sets_nothing_up(caplog):
    root = SuperuserFactory()
    client = signed_in(root)
    key = shown_secret(client.get(SETUP))
    wrong = next(c for c in ("123456", "654321") if c != code_for(key))
    with caplog.at_level("INFO", logger="noogh.security"):
        response = client.post(SETUP, {"code": wrong})
    assert response.status_code == 200
    assert "That code does not match" in response.content.decode()
    assert client.get(LIST)["Location"].startswith(SETUP)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MFA_ENROL).exists()
    assert security_lines(caplog)[0]["event"] == "mfa_failed"


def test_an_enrolled_session_cannot_set_up_another_app_before_passing_its_own():
    root = SuperuserFactory()
    enrol(root)
    client = signed_in(root)
    assert client.get(SETUP)["Location"].startswith(VERIFY)
    assert client.post(SETUP, {"code": "123456"})["Location"].startswith(VERIFY)


def test_setting_up_a_new_app_replaces_the_old_one_and_its_codes():
    root = SuperuserFactory()
    old_device, old_codes = enrol(root)
    client = verified_client(root, old_device)
    key = shown_secret(client.get(SETUP))
    assert client.post(SETUP, {"code": code_for(key)}).status_code == 302
    new_codes = shown_codes(client.get(CODES))
    assert client.get(LIST).status_code == 200  # still verified, by the new app
    assert signed_in(root).post(VERIFY, {"code": new_codes[0]})["Location"] == "/users/"
    refused = signed_in(root).post(VERIFY, {"code": old_codes[0]})
    assert "recovery code is not valid" in refused.content.decode()


def test_new_recovery_codes_replace_the_old_ones():
    root = SuperuserFactory()
    device, old_codes = enrol(root)
    client = verified_client(root, device)
    response = client.post(SECURITY)
    assert response["Location"] == CODES
    new_codes = [code.replace("-", "") for code in shown_codes(client.get(CODES))]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    event = AuditEvent.objects.get(action=AuditEvent.Action.MFA_CODES)
    assert event.changes == {"recovery codes": [10, 10]}
    refused = signed_in(root).post(VERIFY, {"code": old_codes[0]})
    assert "recovery code is not valid" in refused.content.decode()


def test_the_security_page_asks_an_enrolled_session_to_pass_first(settings):
    settings.MFA_REQUIRED = False  # even where the site does not require it
    root = SuperuserFactory()
    enrol(root)
    client = signed_in(root)
    assert client.get(SECURITY)["Location"].startswith(VERIFY)
    assert client.post(SECURITY)["Location"].startswith(VERIFY)
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.MFA_CODES).exists()


def test_the_security_page_shows_the_status():
    root = SuperuserFactory()
    device, codes = enrol(root)
    client = verified_client(root, device)
    page = client.get(SECURITY).content.decode()
    assert "Enrolled (authenticator app), 10 recovery codes left" in page
    signed_in(root).post(VERIFY, {"code": codes[0]})
    page = client.get(SECURITY).content.decode()
    assert "9 recovery codes left" in page


# --- passing it at sign-in ---------------------------------------------------


def test_a_code_from_the_app_passes_under_a_new_session_key(caplog):
    root = SuperuserFactory()
    device, _ = enrol(root)
    client = signed_in(root)
    before = client.session.session_key
    with caplog.at_level("INFO", logger="noogh.security"):
        response = client.post(VERIFY, {"code": code_for(device), "next": "/admin/"})
    assert response["Location"] == "/admin/"
    assert client.session.session_key != before
    assert client.get(LIST).status_code == 200
    [line] = security_lines(caplog)
    assert (line["event"], line["factor"], line["user"]) == (
        "mfa_verified",
        "authenticator",
        root.username,
    )


def test_a_code_is_refused_the_second_time(caplog):
    root = SuperuserFactory()
    device, _ = enrol(root)
    code = code_for(device)
    assert signed_in(root).post(VERIFY, {"code": code}).status_code == 302
    replaying = signed_in(root)
    caplog.clear()
    with caplog.at_level("INFO", logger="noogh.security"):
        response = replaying.post(VERIFY, {"code": code})
    assert response.status_code == 200
    assert "That code was already used" in response.content.decode()
    assert replaying.get(LIST)["Location"].startswith(VERIFY)
    [line] = security_lines(caplog)
    assert (line["event"], line["reason"]) == ("mfa_failed", "replayed")
    assert code not in caplog.text


def test_the_code_that_confirmed_the_app_cannot_sign_in():
    root = SuperuserFactory()
    client = signed_in(root)
    key = shown_secret(client.get(SETUP))
    code = code_for(key)
    client.post(SETUP, {"code": code})
    response = signed_in(root).post(VERIFY, {"code": code})
    assert "already used" in response.content.decode()


def test_wrong_codes_are_slowed_down(caplog):
    root = SuperuserFactory()
    device, _ = enrol(root)
    client = signed_in(root)
    wrong = wrong_code_for(device)
    with caplog.at_level("INFO", logger="noogh.security"):
        first = client.post(VERIFY, {"code": wrong})
        # At once: even the right code waits for the delay (1 s after one failure).
        second = client.post(VERIFY, {"code": code_for(device)})
    assert first.status_code == 200
    assert "That code is not valid" in first.content.decode()
    assert second.status_code == 429
    assert "Too many wrong codes. Wait 1 second," in second.content.decode()
    assert [line["event"] for line in security_lines(caplog)] == [
        "mfa_failed",
        "mfa_throttled",
    ]
    time.sleep(1.1)
    assert client.post(VERIFY, {"code": code_for(device)})["Location"] == "/users/"


@pytest.mark.slow
def test_the_delay_doubles_with_each_wrong_code():
    root = SuperuserFactory()
    device, _ = enrol(root)
    client = signed_in(root)
    wrong = wrong_code_for(device)
    for failures in range(1, 4):
        assert client.post(VERIFY, {"code": wrong}).status_code == 200
        if failures < 3:
            time.sleep(2 ** (failures - 1) + 0.1)
    response = client.post(VERIFY, {"code": code_for(device)})
    assert response.status_code == 429
    assert "Wait 4 seconds" in response.content.decode()


def test_a_recovery_code_works_once(caplog):
    root = SuperuserFactory()
    _, codes = enrol(root)
    first = signed_in(root)
    response = first.post(VERIFY, {"code": codes[0][:4].upper() + " " + codes[0][4:]})
    assert response["Location"] == "/users/"
    assert first.get(LIST).status_code == 200
    caplog.clear()
    with caplog.at_level("INFO", logger="noogh.security"):
        again = signed_in(root).post(VERIFY, {"code": codes[0]})
    assert "recovery code is not valid" in again.content.decode()
    [line] = security_lines(caplog)
    assert (line["event"], line["factor"]) == ("mfa_failed", "recovery")


def test_a_recovery_code_does_not_count_against_the_app():
    """Each device slows its own wrong guesses: a wrong recovery code leaves
    the authenticator app usable at once."""
    root = SuperuserFactory()
    device, _ = enrol(root)
    client = signed_in(root)
    assert client.post(VERIFY, {"code": "aaaaaaaa"}).status_code == 200
    assert client.post(VERIFY, {"code": code_for(device)})["Location"] == "/users/"


@pytest.mark.parametrize(
    "value", ["", "12345", "1234567", "１２３４５６", "abc", "a" * 40]
)
def test_malformed_codes_are_form_errors(value):
    root = SuperuserFactory()
    enrol(root)
    response = signed_in(root).post(VERIFY, {"code": value})
    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()


def test_verification_goes_only_to_safe_places():
    root = SuperuserFactory()
    device, _ = enrol(root)
    response = signed_in(root).post(
        VERIFY, {"code": code_for(device), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/users/"


def test_an_account_without_an_app_is_sent_to_set_one_up():
    client = signed_in(staff_with("view_user"))
    assert client.get(VERIFY)["Location"].startswith(SETUP)


def test_a_verified_session_skips_the_verification_page():
    root = SuperuserFactory()
    client = verified_client(root)
    assert client.get(VERIFY + "?next=/admin/")["Location"] == "/admin/"
