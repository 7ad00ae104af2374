"""Sessions you can see and end: yours at /users/me/sessions/, another
account's on its page (staff with change_user, under the hierarchy)."""

import json
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from users import services
from users.management.commands.seed_users import demo_users
from users.models import AuditEvent, User, UserSession
from users.signin import sessions as recorder

from .factories import (
    PASSWORD,
    SuperuserFactory,
    UserFactory,
    allow_staff_login,
    staff_with,
)
from .markers import postgres_only

pytestmark = pytest.mark.django_db
MINE = reverse("users:my_sessions")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1"
)


def sign_in(user, *, agent=FIREFOX, ip="203.0.113.5") -> Client:
    """A browser signing in through the login form (which admits only staff
    who may see users: a plain account is made such a viewer first)."""
    allow_staff_login(user)
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=ip)
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 302, "login failed"
    return client


def signed_out(client: Client) -> bool:
    response = client.get(MINE)
    return response.status_code == 302 and "login" in response["Location"]


def listed(client: Client, url: str = MINE) -> list:
    """The sessions a page lists."""
    return client.get(url).context["sessions"]


def detail(user) -> str:
    return reverse("users:detail", args=[user.pk])


def security_lines(caplog) -> list[dict]:
    return [json.loads(r.message) for r in caplog.records if r.name == "noogh.security"]


# --- seeing them ---------------------------------------------------------------


def test_my_sessions_lists_browser_ip_and_times_and_marks_this_one():
    me = staff_with("view_user")
    phone = sign_in(me, agent=SAFARI, ip="198.51.100.7")
    laptop = sign_in(me)
    html = laptop.get(MINE).content.decode()
    assert "Firefox 128 on Linux" in html and "203.0.113.5" in html
    assert "Mobile Safari 17 on iOS" in html and "198.51.100.7" in html
    assert html.count("This session") == 1
    rows = listed(laptop)
    assert [row.is_current for row in rows] == [True, False]  # last seen first
    assert rows[0].browser == "Firefox 128 on Linux"
    assert "Last seen" in html and "Started" in html
    assert [row.is_current for row in listed(phone)] == [False, True]


def test_session_keys_never_reach_the_page():
    me = UserFactory()
    client = sign_in(me)
    html = client.get(MINE).content.decode()
    assert client.session.session_key not in html
    record = UserSession.objects.get(user=me)
    assert reverse("users:my_session_end", args=[record.pk]) in html


def test_viewers_see_and_end_only_their_own_sessions():
    me, other = UserFactory(), UserFactory()
    mine = sign_in(me)
    theirs = sign_in(other)
    assert len(listed(mine)) == 1
    their_record = UserSession.objects.get(user=other)
    response = mine.post(reverse("users:my_session_end", args=[their_record.pk]))
    assert response.status_code == 404
    response = mine.post(reverse("users:session_end", args=[other.pk, their_record.pk]))
    assert response.status_code == 403
    assert not signed_out(theirs)


def test_the_user_page_lists_the_accounts_sessions(superuser_client):
    target = UserFactory()
    sign_in(target, ip="2001:db8::1")
    html = superuser_client.get(detail(target)).content.decode()
    assert "Firefox 128 on Linux" in html and "2001:db8::1" in html
    assert "This session" not in html
    assert reverse("users:sessions_end_all", args=[target.pk]) in html


def test_viewers_see_sessions_but_are_not_offered_to_end_them(client):
    target = UserFactory()
    sign_in(target)
    client.force_login(staff_with("view_user"))
    html = client.get(detail(target)).content.decode()
    assert "Firefox 128 on Linux" in html
    assert "/sessions/end-all/" not in html and "End session" not in html


def test_expired_sessions_are_not_listed(superuser_client, settings):
    target = UserFactory()
    settings.SESSION_COOKIE_AGE = 1
    theirs = sign_in(target)
    time.sleep(1.1)
    settings.SESSION_COOKIE_AGE = 1800
    assert signed_out(theirs)
    assert listed(superuser_client, detail(target)) == []


def test_a_browser_label_comes_from_the_user_agent():
    assert recorder.browser_label(FIREFOX) == "Firefox 128 on Linux"
    assert recorder.browser_label("curl/8.5.0") == "curl 8"
    assert recorder.browser_label("") == "Unknown browser"
    assert recorder.browser_label("x" * 5000) == "Unknown browser"


# --- following a session's life ------------------------------------------------


def test_signing_out_forgets_the_session():
    me = UserFactory()
    client = sign_in(me)
    other = sign_in(me)
    client.post(reverse("logout"))
    assert len(listed(other)) == 1


def test_someone_signing_in_over_a_session_forgets_the_old_one():
    first, second = UserFactory(), UserFactory()
    client = sign_in(first)
    allow_staff_login(second)
    client.post(reverse("login"), {"username": second.username, "password": PASSWORD})
    assert [row.user_id for row in listed(client)] == [second.pk]
    assert len(listed(sign_in(first))) == 1  # only the new one


def test_a_page_view_does_not_write_until_a_minute_has_passed(monkeypatch):
    me = UserFactory()
    client = sign_in(me, ip="203.0.113.5")
    with CaptureQueriesContext(connection) as captured:
        client.get(MINE)
    assert not any(
        "usersession" in q["sql"].lower() and "UPDATE" in q["sql"] for q in captured
    )
    later = time.time() + recorder.SEEN_EVERY_SECONDS + 1
    monkeypatch.setattr(recorder.time, "time", lambda: later)
    client.defaults["REMOTE_ADDR"] = "203.0.113.77"
    client.get(MINE)
    row = listed(client)[0]
    assert row.ip == "203.0.113.77" and row.last_seen_at > row.created_at


def test_your_own_password_change_keeps_this_session_listed():
    me = staff_with("view_user", "change_user")
    SuperuserFactory()
    client = sign_in(me)
    other = sign_in(me, agent=SAFARI)
    client.post(
        reverse("users:password", args=[me.pk]),
        {
            "usable_password": "true",
            "password1": "n3w-Pass-8462",
            "password2": "n3w-Pass-8462",
        },
    )
    rows = listed(client)
    assert [row.is_current for row in rows] == [True]
    assert signed_out(other)


def test_sessions_signed_in_before_recording_are_adopted():
    me = UserFactory()
    client = Client(HTTP_USER_AGENT=FIREFOX)
    client.force_login(me)
    UserSession.objects.filter(user=me).delete()  # as before this feature
    session = client.session
    for key in (recorder.RECORD_KEY, recorder.RECORDED_UNDER_KEY, recorder.SEEN_KEY):
        session.pop(key, None)
    session.save()
    rows = listed(client)  # the first request records it
    rows = listed(client)
    assert len(rows) == 1 and rows[0].is_current


# --- ending them -----------------------------------------------------------------


def test_ending_another_of_my_sessions(caplog):
    me = UserFactory()
    laptop = sign_in(me)
    phone = sign_in(me, agent=SAFARI)
    record = next(row for row in listed(laptop) if not row.is_current)
    with caplog.at_level("INFO", logger="noogh.security"):
        response = laptop.post(
            reverse("users:my_session_end", args=[record.pk]), follow=True
        )
    assert "Ended the session: Mobile Safari 17 on iOS" in response.content.decode()
    assert signed_out(phone) and not signed_out(laptop)
    assert len(listed(laptop)) == 1
    event = AuditEvent.objects.get(action=AuditEvent.Action.END_SESSION)
    assert (event.actor_id, event.target_id, event.ip) == (me.pk, me.pk, "203.0.113.5")
    assert event.changes["session"][0].startswith("Mobile Safari 17 on iOS")
    line = next(x for x in security_lines(caplog) if x["event"] == "session_ended")
    assert line["user"] == me.username and line["by"] == me.username


def test_ending_this_session_signs_me_out():
    me = UserFactory()
    client = sign_in(me)
    other = sign_in(me, agent=SAFARI)
    record = next(row for row in listed(client) if row.is_current)
    response = client.post(
        reverse("users:my_session_end", args=[record.pk]), follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "You ended this session and are signed out." in response.content.decode()
    assert signed_out(client) and not signed_out(other)


def test_sign_out_everywhere(caplog):
    me = UserFactory()
    client = sign_in(me)
    other = sign_in(me, agent=SAFARI)
    with caplog.at_level("INFO", logger="noogh.security"):
        response = client.post(reverse("users:my_sessions_end_all"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("login")
    assert "Signed out everywhere: 2 session(s) ended." in response.content.decode()
    assert signed_out(client) and signed_out(other)
    event = AuditEvent.objects.get(action=AuditEvent.Action.END_SESSIONS)
    assert event.changes == {"sessions": [2, 0]} and event.actor_id == me.pk
    assert "sessions_ended" in [x["event"] for x in security_lines(caplog)]
    assert len(listed(sign_in(me))) == 1  # a new sign-in works


def test_staff_end_one_of_another_accounts_sessions(client):
    target = UserFactory()
    theirs = sign_in(target)
    kept = sign_in(target, agent=SAFARI)
    actor = staff_with("view_user", "change_user")
    client.force_login(actor)
    record = UserSession.objects.get(user=target, browser="Firefox 128 on Linux")
    response = client.post(reverse("users:session_end", args=[target.pk, record.pk]))
    assert response.status_code == 302 and response["Location"] == detail(target)
    assert signed_out(theirs) and not signed_out(kept)
    assert not signed_out(client)
    event = AuditEvent.objects.get(action=AuditEvent.Action.END_SESSION)
    assert (event.actor_id, event.target_id) == (actor.pk, target.pk)


def test_staff_end_all_of_another_accounts_sessions(superuser_client):
    target = staff_with("view_user")
    sessions = [sign_in(target), sign_in(target, agent=SAFARI)]
    response = superuser_client.post(
        reverse("users:sessions_end_all", args=[target.pk]), follow=True
    )
    assert f"Ended all sessions of {target.username} (2)." in response.content.decode()
    assert all(signed_out(session) for session in sessions)
    assert listed(superuser_client, detail(target)) == []
    assert not signed_out(superuser_client)


def test_sessions_of_an_account_above_you_cannot_be_ended(client):
    target = staff_with("view_user", "change_user", "delete_user")
    theirs = sign_in(target)
    client.force_login(staff_with("view_user", "change_user"))
    html = client.get(detail(target)).content.decode()
    assert "End session" not in html and "End all sessions" not in html
    record = UserSession.objects.get(user=target)
    response = client.post(
        reverse("users:session_end", args=[target.pk, record.pk]), follow=True
    )
    assert "holds permissions you do not have" in response.content.decode()
    client.post(reverse("users:sessions_end_all", args=[target.pk]))
    assert not signed_out(theirs)
    assert not AuditEvent.objects.filter(action__startswith="end_").exists()


def test_a_session_id_of_another_account_is_not_found(superuser_client):
    target, other = UserFactory(), UserFactory()
    sign_in(other)
    record = UserSession.objects.get(user=other)
    response = superuser_client.post(
        reverse("users:session_end", args=[target.pk, record.pk])
    )
    assert response.status_code == 404


def test_ending_a_session_that_already_ended_says_so(superuser_client):
    target = UserFactory()
    sign_in(target)
    record = UserSession.objects.get(user=target)
    assert services.session_end(actor=None, session=record)
    assert not services.session_end(actor=None, session=record)


def test_deactivation_ends_the_sessions_and_clears_the_list(superuser_client):
    target = staff_with("view_user")
    theirs = sign_in(target)
    assert len(listed(superuser_client, detail(target))) == 1
    superuser_client.post(reverse("users:deactivate", args=[target.pk]))
    assert listed(superuser_client, detail(target)) == []
    superuser_client.post(reverse("users:activate", args=[target.pk]))
    assert listed(superuser_client, detail(target)) == []
    assert signed_out(theirs)
    sign_in(target)  # and the next sign-in clears out the old record
    assert UserSession.objects.filter(user=target).count() == 1


def test_bulk_deactivation_and_staff_password_changes_clear_the_list(superuser_client):
    first, second = UserFactory(), UserFactory()
    sign_in(first), sign_in(second)
    superuser_client.post(
        reverse("admin:users_user_changelist"),
        {"action": "deactivate_selected", "_selected_action": [first.pk]},
    )
    services.user_set_password(actor=None, user=second, password="n3w-Pass-8462")
    assert listed(superuser_client, detail(first)) == []
    assert listed(superuser_client, detail(second)) == []


def test_a_deleted_account_takes_its_session_records_along(superuser_client):
    target = UserFactory()
    sign_in(target)
    superuser_client.post(reverse("users:delete", args=[target.pk]))
    assert not User.objects.filter(pk=target.pk).exists()
    assert not UserSession.objects.filter(user_id=target.pk).exists()


# --- the admin -------------------------------------------------------------------


def test_the_admin_change_page_lists_sessions(superuser_client):
    target = UserFactory()
    sign_in(target, ip="192.0.2.44")
    html = superuser_client.get(
        reverse("admin:users_user_change", args=[target.pk])
    ).content.decode()
    assert "Firefox 128 on Linux · 192.0.2.44" in html


def test_the_admin_action_ends_all_sessions_of_the_selection(superuser_client):
    first, second, kept = UserFactory(), UserFactory(), UserFactory()
    clients = [sign_in(first), sign_in(second)]
    kept_client = sign_in(kept)
    response = superuser_client.post(
        reverse("admin:users_user_changelist"),
        {"action": "end_sessions_selected", "_selected_action": [first.pk, second.pk]},
        follow=True,
    )
    assert "Ended all sessions of 2 user(s)." in response.content.decode()
    assert all(signed_out(c) for c in clients) and not signed_out(kept_client)
    assert AuditEvent.objects.filter(action="end_sessions").count() == 2


def test_the_admin_action_refuses_a_selection_with_an_account_above_you(client):
    client.force_login(staff_with("view_user", "change_user"))
    below, above = UserFactory(), SuperuserFactory()
    clients = [sign_in(below), sign_in(above)]
    response = client.post(
        reverse("admin:users_user_changelist"),
        {"action": "end_sessions_selected", "_selected_action": [below.pk, above.pk]},
        follow=True,
    )
    assert "Only a superuser" in response.content.decode()
    assert not any(signed_out(c) for c in clients)


# --- cost ------------------------------------------------------------------------


def queries_for_detail(client, target) -> int:
    client.get(detail(target))
    with CaptureQueriesContext(connection) as captured:
        response = client.get(detail(target))
    assert response.status_code == 200
    return len(captured)


def test_the_user_page_costs_one_query_for_its_sessions_however_many(client):
    target = UserFactory()
    client.force_login(staff_with("view_user", "change_user"))
    sign_in(target)
    one = queries_for_detail(client, target)
    for _ in range(5):
        sign_in(target)
    assert len(listed(client, detail(target))) == 6
    # <= 12: with the gate's question whether this unverified session's
    # account has a second factor to pass (users.signin.gate), and the
    # account's groups and permissions (two: web.grants.access_summary).
    assert queries_for_detail(client, target) == one <= 12


@postgres_only
def test_listing_an_accounts_sessions_reads_the_index_not_the_table():
    services.users_import(demo_users(5_000, seed=5))
    now = timezone.now()
    UserSession.objects.bulk_create(
        UserSession(
            session_key=f"k{user_id}x{n}",
            user_id=user_id,
            epoch=0,
            expires_at=now + timedelta(minutes=n - 2),
        )
        for user_id in User.objects.values_list("pk", flat=True)
        for n in range(4)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE users_usersession")
    plan = UserSession.objects.live_of(User.objects.last()).explain()
    assert "users_session_user_seen_idx" in plan, plan
    assert "Seq Scan" not in plan, plan
