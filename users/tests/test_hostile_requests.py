"""Hostile requests rather than hostile values: odd charsets and Content-Types,
sent through the WSGI entry point gunicorn serves (noogh_site.wsgi), and
arbitrary lookups on the admin's lists. Never a 500, never a traceback."""

import io
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.urls import reverse

from noogh_site.wsgi import application
from users.models import AuditEvent

from .factories import SuperuserFactory

pytestmark = pytest.mark.django_db
SHAPES = json.loads(
    (Path(__file__).parent / "data" / "hostile_shapes.json").read_text()
)
CSRF_SECRET = "a" * 32  # a valid unmasked token: the cookie and the form agree
FORM = f"csrfmiddlewaretoken={CSRF_SECRET}&username=%E9&password=x&q=%E9"
MULTIPART = (
    "--BoUnDaRy\r\nContent-Disposition: form-data; name=csrfmiddlewaretoken\r\n\r\n"
    f"{CSRF_SECRET}\r\n--BoUnDaRy\r\nContent-Disposition: form-data; name=username"
    "\r\n\r\n\xe9\r\n--BoUnDaRy--\r\n"
)
REFUSALS = {200, 302, 400, 403, 404, 405, 429}


def content_types():
    for template in SHAPES["content_types"]:
        for charset in SHAPES["charsets"]:
            yield template.format(charset=charset)
    yield from SHAPES["odd_content_types"]


@pytest.fixture
def wsgi():
    """Call the WSGI application as gunicorn does; returns (status, body).

    Like Django's test client, it keeps the test's database connection open
    across the request (Django closes connections when a request ends)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)

    def call(method, path, content_type, body=b"", cookies="", query=""):
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "CONTENT_TYPE": content_type,
            "CONTENT_LENGTH": str(len(body)),
            "HTTP_COOKIE": f"{settings.CSRF_COOKIE_NAME}={CSRF_SECRET}; {cookies}",
            "SERVER_NAME": "localhost",
            "SERVER_PORT": "80",
            "REMOTE_ADDR": "198.51.100.7",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": io.StringIO(),
        }
        status = []
        chunks = application(environ, lambda s, headers, exc=None: status.append(s))
        try:
            content = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        return int(status[0].split()[0]), content

    yield call
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def session_cookie() -> str:
    client = Client()
    client.force_login(SuperuserFactory())
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def assert_refused_cleanly(status: int, body: bytes, where) -> None:
    assert status in REFUSALS, (status, where)
    assert b"Traceback" not in body and b"Something went wrong" not in body, where


@pytest.mark.parametrize("who", ["anonymous", "signed in"])
def test_any_charset_or_content_type_is_never_a_500(wsgi, who):
    cookies = session_cookie() if who == "signed in" else ""
    posts = ("/accounts/login/", "/admin/login/", "/users/new/", "/nowhere/")
    for content_type in content_types():
        body = (MULTIPART if "multipart" in content_type else FORM).encode("latin-1")
        for path in posts:
            status, page = wsgi("POST", path, content_type, body, cookies)
            assert_refused_cleanly(status, page, (path, content_type[:80]))
        status, page = wsgi("GET", "/users/", content_type, b"", cookies, "q=%E9a")
        assert_refused_cleanly(status, page, ("/users/", content_type[:80]))


def test_a_form_in_another_charset_gets_the_400_page(wsgi):
    latin_1 = "application/x-www-form-urlencoded; charset=latin-1"
    for path in ("/accounts/login/", "/admin/login/", "/users/new/"):
        status, page = wsgi("POST", path, latin_1, FORM.encode())
        assert status == 400, path
        assert b"That request does not make sense" in page
        assert b"sent as UTF-8" in page
    status, page = wsgi("POST", "/nowhere/", latin_1, FORM.encode())
    assert status == 404
    assert b"Not found" in page


def test_the_asgi_entry_point_is_guarded_too():
    from asgiref.sync import async_to_sync
    from asgiref.testing import ApplicationCommunicator

    from noogh_site.asgi import application as asgi_application

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/accounts/login/",
        "query_string": b"next=%E9",
        "headers": [(b"content-type", b"text/plain; charset*=bogus''x")],
    }

    async def exchange():
        talk = ApplicationCommunicator(asgi_application, scope)
        await talk.send_input({"type": "http.request", "body": FORM.encode()})
        start = await talk.receive_output(timeout=10)
        await talk.receive_output(timeout=10)  # the body
        return start["status"]

    assert async_to_sync(exchange)() == 400


def test_an_unreadable_content_type_gets_the_400_page_with_security_headers():
    client = Client(raise_request_exception=False)
    # What noogh_site.wsgi puts in place of a charset such as rot13.
    response = client.generic(
        "POST", reverse("login"), b"x", "application/x-unreadable-content-type"
    )
    assert response.status_code == 400
    assert "default-src 'self'" in response["Content-Security-Policy"]


def test_the_csrf_failure_page_is_ours_and_logged(caplog):
    client = Client(enforce_csrf_checks=True, raise_request_exception=False)
    with caplog.at_level("WARNING", logger="noogh.security"):
        response = client.post(reverse("login"), {"username": "x", "password": "y"})
    assert response.status_code == 403
    assert "security token is missing or out of date" in response.content.decode()
    assert '"event": "csrf_failure"' in caplog.text


# The parameters the admins' own list filters send: only these may filter.
FILTER_PARAMETERS = {
    *(
        f"{flag}__{lookup}"
        for flag in ("is_active", "is_staff", "is_superuser")
        for lookup in ("exact", "isnull")
    ),
    *(f"{date}__{lookup}" for date in ("created_at", "at") for lookup in ("gte", "lt")),
    "action__exact",
    "action__isnull",
}


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:users_user_changelist",
        "admin:auth_group_changelist",
        "admin:users_auditevent_changelist",
    ],
)
def test_arbitrary_admin_lookups_are_refused_as_invalid(superuser_client, url_name):
    url = reverse(url_name)
    for lookup, value in SHAPES["admin_lookups"]:
        response = superuser_client.get(url, {lookup: value})
        if lookup in FILTER_PARAMETERS:  # a filter of this list, or refused
            assert response.status_code in (200, 302, 400), (lookup, value)
        else:
            assert response.status_code in (302, 400), (lookup, value)
        if response.status_code == 302:
            assert response["Location"] == f"{url}?e=1", (lookup, value)


def test_the_admin_list_filters_still_filter(superuser_client):
    url = reverse("admin:users_user_changelist")
    for params in (
        {"is_active__exact": "1"},
        {"is_superuser__exact": "0", "q": "user"},
        {"created_at__gte": "2020-01-01 00:00:00+00:00"},
        {"o": "2", "p": "1"},
    ):
        assert superuser_client.get(url, params).status_code == 200, params
    trail = reverse("admin:users_auditevent_changelist")
    assert superuser_client.get(trail, {"action__exact": "create"}).status_code == 200


def test_an_error_page_that_cannot_be_drawn_is_a_plain_page(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the template engine is gone")

    monkeypatch.setattr("noogh_site.errors.render_to_string", broken)
    client = Client(raise_request_exception=False)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert b"<h1>Not found</h1>" in response.content
    response = client.post(
        reverse("login"), b"a=b", "application/x-www-form-urlencoded; charset=latin-1"
    )
    assert response.status_code == 400
    assert b"<h1>Bad request</h1>" in response.content


@pytest.mark.parametrize(
    "action",
    [
        "exempt_from_dormancy_selected",
        "end_dormancy_exemption_selected",
        "lift_suspension_selected",
        "suspend_selected",
        "export_personal_data_selected",
        "erase_selected",
        "delete_selected",
    ],
)
def test_an_admin_action_on_ids_that_are_not_ids_changes_nothing(
    superuser_client, action
):
    """The admin filters the selection by pk before the action: a value the
    database cannot compare ("1.0", "1e3", a NUL) was a 500."""
    url = reverse("admin:users_user_changelist")
    events = AuditEvent.objects.count()
    for selected in ("1.0", "1e3", "x", "1\x00", "9" * 30):
        response = superuser_client.post(
            url, {"action": action, "_selected_action": [selected]}
        )
        assert response.status_code == 302, selected
        assert response["Location"] == url, selected
    assert AuditEvent.objects.count() == events
