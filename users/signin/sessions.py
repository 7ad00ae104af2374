"""Keeping a record of each signed-in session, so that its owner and staff can
list and end it (users.models.UserSession, users.services.sessions).

Signing in records the session and signing out forgets it (the auth signals).
SessionRecordMiddleware keeps the record current without a write per request:
last seen, client address and expiry are refreshed at most once a minute, as
the sliding expiry is (noogh_site.middleware). It also follows a session that
got a new key while staying signed in (your own password change), forgets one
that someone else signed in over, and records sessions signed in before this
code was deployed.
"""

import time

from django.contrib.auth import HASH_SESSION_KEY
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from ua_parser import parse

from .. import services
from ..audit.context import client_ip
from ..models import User

# Kept in the session itself (server-side): which record is this session's,
# under which session key it was recorded, and when it was last refreshed.
RECORD_KEY = "_noogh_session_record"
RECORDED_UNDER_KEY = "_noogh_session_recorded_under"
SEEN_KEY = "_noogh_session_seen"
SEEN_EVERY_SECONDS = services.sessions.SEEN_EVERY.total_seconds()
USER_AGENT_KEPT = services.sessions.USER_AGENT_KEPT
BROWSER_LABEL_KEPT = 100
UNKNOWN_BROWSER = "Unknown browser"


def browser_label(user_agent: str) -> str:
    """A short "Firefox 128 on Windows" from a User-Agent header: browser family
    and major version, and operating system, by ua-parser's maintained rules.
    Only the kept (truncated) header is parsed, so a hostile one costs little."""
    result = parse(user_agent[:USER_AGENT_KEPT]) if user_agent else None
    browser = result.user_agent if result else None
    system = result.os if result else None
    if browser is None and system is None:
        return UNKNOWN_BROWSER
    label = (
        " ".join(part for part in (browser.family, browser.major) if part)
        if browser
        else UNKNOWN_BROWSER
    )
    if system is not None:
        label += f" on {system.family}"
    return label[:BROWSER_LABEL_KEPT]


def user_agent_of(request) -> str:
    """The User-Agent header as kept: printable characters only (PostgreSQL
    text refuses NUL, and a page or log has no use for control characters),
    cut to the column's length."""
    header = request.headers.get("User-Agent", "")[: USER_AGENT_KEPT * 2]
    return "".join(char for char in header if char.isprintable())[:USER_AGENT_KEPT]


def _mark(session, record_id: int) -> None:
    session[RECORD_KEY] = record_id
    session[RECORDED_UNDER_KEY] = session.session_key
    session[SEEN_KEY] = int(time.time())


def _record(request, user: User) -> None:
    session = request.session
    if session.session_key is None:
        # login() flushed a session that belonged to someone else: the new
        # one has no key until it is saved.
        session.save()
    user_agent = user_agent_of(request)
    record = services.session_started(
        user=user,
        session_key=session.session_key,
        expires_at=session.get_expiry_date(),
        ip=client_ip(),
        user_agent=user_agent,
        browser=browser_label(user_agent),
    )
    _mark(session, record.pk)


@receiver(user_logged_in)
def _signed_in(sender, request, user, **kwargs):
    if getattr(request, "session", None) is not None:
        _record(request, user)


@receiver(user_logged_out)
def _signed_out(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is not None and session.get(RECORD_KEY) is not None:
        services.session_forgotten(record_id=session[RECORD_KEY])


class SessionRecordMiddleware:
    """Keep this request's session record current (after
    audit.RequestContextMiddleware, which knows the client address)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        came_with = session.get(RECORD_KEY) if session is not None else None
        response = self.get_response(request)
        if session is not None:
            _follow(request, came_with)
        return response


def _follow(request, came_with: int | None) -> None:
    session = request.session
    record_id = session.get(RECORD_KEY)
    if came_with is not None and came_with != record_id:
        # Signed out (already forgotten), or someone signed in over it.
        services.session_forgotten(record_id=came_with)
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return
    if record_id is None:
        _record(request, user)  # signed in before sessions were recorded
    elif session.session_key != session.get(RECORDED_UNDER_KEY):
        _carry_over(request, user, record_id)
    elif int(time.time()) - session.get(SEEN_KEY, 0) > SEEN_EVERY_SECONDS:
        session[SEEN_KEY] = int(time.time())  # SessionMiddleware saves it
        services.session_seen(
            record_id=record_id,
            expires_at=session.get_expiry_date(),
            ip=client_ip(),
            now=timezone.now(),
        )


def _carry_over(request, user: User, record_id: int) -> None:
    """The session got a new key and stayed signed in (update_session_auth_hash
    after your own password change): move the record to the new key and the
    account's new epoch - but only if the session is valid under that epoch,
    so a session ended meanwhile does not reappear in the list."""
    session = request.session
    fresh = User.objects.get_or_none(pk=user.pk)
    if fresh is None or not constant_time_compare(
        session.get(HASH_SESSION_KEY, ""), fresh.get_session_auth_hash()
    ):
        return
    services.session_rekeyed(
        record_id=record_id,
        user=fresh,
        session_key=session.session_key,
        expires_at=session.get_expiry_date(),
    )
    _mark(session, record_id)
