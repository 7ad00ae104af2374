"""The user changelist's rows drawn in one pass (users.admin.rows): the same
HTML as the stock admin's result list, the stock rendering wherever the
lean one does not know a column or state, and queries that do not grow with
the rows."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from users.admin.users import UserAdmin
from users.templatetags import admin_rows

from .factories import SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:users_user_changelist")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture
def drawn(monkeypatch):
    """What each rendering returned: the lean rows, or None (stock)."""
    calls = []
    lean = admin_rows.lean_rows

    def spy(cl):
        rows = lean(cl)
        calls.append(rows)
        return rows

    monkeypatch.setattr(admin_rows, "lean_rows", spy)
    return calls


@pytest.fixture
def awkward_accounts():
    """Values that escaping, stripping and empty display must get right."""
    UserFactory(full_name="<script>alert(\"x\")</script> & 'co'", username="x.ss")
    UserFactory(full_name="", username="no-name", is_active=False)
    UserFactory(full_name="  padded  ", username="zoë.ünïcode", is_staff=True)
    UserFactory(email="o'brien+tag@example.com", username="obrien")
    SuperuserFactory(full_name="Root & Branch")


def page(client, query: dict, monkeypatch=None, *, stock: bool = False) -> str:
    if stock:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(admin_rows, "lean_rows", lambda cl: None)
            response = client.get(CHANGELIST, query)
    else:
        response = client.get(CHANGELIST, query)
    assert response.status_code == 200
    return CSRF.sub("", response.content.decode())


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"is_active__exact": "0"},
        {"q": "x.ss", "is_staff__exact": "0"},
        {"o": "3.-2", "p": "1"},
        {"status": "deactivated"},
    ],
)
def test_the_rows_are_the_stock_admins_byte_for_byte(
    superuser_client, awkward_accounts, drawn, query
):
    lean = page(superuser_client, query)
    assert drawn and drawn[-1] is not None, "the lean rows were not used"
    assert lean == page(superuser_client, query, stock=True)


def test_the_rows_keep_links_checkboxes_icons_and_escaping(
    superuser_client, awkward_accounts
):
    html = page(superuser_client, {"is_active__exact": "0"})
    target = UserFactory._meta.model.objects.get(username="no-name")
    change = reverse("admin:users_user_change", args=[target.pk])
    assert (
        f'<th class="field-email"><a href="{change}?_changelist_filters='
        f'is_active__exact%3D0">{target.email}</a></th>'
    ) in html
    assert (
        f'value="{target.pk}" class="action-select" '
        'aria-label="Select this object for an action - no-name"'
    ) in html
    assert '<td class="field-full_name">-</td>' in html  # empty: the admin's dash
    assert 'icon-no.svg" alt="False"' in html
    everyone = page(superuser_client, {})
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;co&#x27;" in (
        everyone
    )
    assert "<script>alert" not in everyone
    assert '<td class="field-full_name">padded</td>' in everyone


def test_a_popup_keeps_the_stock_rendering(superuser_client, awkward_accounts, drawn):
    response = superuser_client.get(CHANGELIST, {"_popup": "1"})
    assert response.status_code == 200
    assert drawn == [None]
    assert b"data-popup-opener" in response.content


def test_a_column_it_does_not_know_keeps_the_stock_rendering(
    superuser_client, awkward_accounts, drawn, monkeypatch
):
    monkeypatch.setattr(
        UserAdmin, "list_display", (*UserAdmin.list_display, "two_factor")
    )
    response = superuser_client.get(CHANGELIST)
    assert response.status_code == 200
    assert drawn == [None]
    assert b'class="field-two_factor"' in response.content


def changelist_queries(client, query=None) -> int:
    client.get(CHANGELIST, query or {})  # the first one also refreshes the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(CHANGELIST, query or {}).status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "query", [{}, {"q": "user"}, {"is_active__exact": "0"}, {"status": "suspended"}]
)
def test_the_changelists_queries_do_not_grow_with_its_rows(superuser_client, query):
    UserFactory.create_batch(3, is_active=False)
    few = changelist_queries(superuser_client, query)
    UserFactory.create_batch(120, is_active=False)
    assert changelist_queries(superuser_client, query) == few
    # Session, user, second factor, savepoint, count, rows (and the
    # status filter's nothing more): a fixed handful.
    assert few <= 9


@pytest.mark.parametrize("language", ["en", "de", "fr"])
def test_dates_read_as_the_stock_admin_writes_them(language):
    """Every minute's text and each day's, worked out once, put together."""
    from datetime import UTC, datetime, timedelta

    from django.utils import formats, translation

    from users.admin.rows import datetime_shape

    with translation.override(language):
        shape = datetime_shape()
        start = datetime(2026, 2, 27, 23, 0, tzinfo=UTC)
        for step in range(0, 3 * 24 * 60, 7):  # midnight, noon, a month's end
            value = start + timedelta(minutes=step)
            assert shape(value) == formats.localize(value), value
