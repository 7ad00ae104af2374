"""The list's filter form, drawn once per state (users/web/filterform.py),
is the very HTML Django's own field rendering gives, in every state: empty,
set, refused, hostile; and a state seen before is not drawn again."""

import re
from unittest import mock
from urllib.parse import urlencode

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.forms.renderers import get_default_renderer
from django.template import engines
from django.template.loaders import cached
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from users.web import filterform

from .factories import UserFactory

pytestmark = pytest.mark.django_db
LIST = reverse("users:list")
FORM = re.compile(r'<form method="get".*?</form>', re.DOTALL)

STATES = [
    {},
    {"is_active": "false"},
    {"is_active": "true", "is_staff": "false", "is_superuser": "true"},
    {"status": "suspended", "expiring": "7d"},
    {"created": "7d", "last_login": "never", "ordering": "email", "per_page": "50"},
    {"created_after": "2025-01-01", "last_login_before": "2025-02-01"},
    {"q": "anderson", "is_active": "false"},
    # Refused or hostile: drawn every time, and still the same HTML.
    {"is_active": "<script>alert(1)</script>"},
    {"q": '"><img src=x onerror=alert(1)>', "status": "'; DROP TABLE users;--"},
    {"group": "999999"},
    {"group": "1 OR 1=1", "per_page": "-1", "ordering": "password"},
    {"created_after": "2025-13-45", "created_before": "../../etc/passwd"},
    {"created": "7d", "created_after": "2025-01-01"},
    {"last_login": "ＡＢＣ", "expiring": "7d" * 200},
    {"page": "x" * 301},
]


def form_html(client, state: dict) -> str:
    response = client.get(f"{LIST}?{urlencode(state)}")
    assert response.status_code in (200, 400)
    return FORM.search(response.content.decode()).group(0)


@pytest.fixture
def groups(superuser_client):
    Group.objects.create(name="Auditors")
    Group.objects.create(name="<b>Ops & Co</b>")
    UserFactory.create_batch(3)
    filterform.drawn.clear()
    return superuser_client


@pytest.mark.parametrize("state", STATES, ids=lambda state: urlencode(state)[:60])
def test_the_form_is_django_own_rendering(groups, state):
    group = Group.objects.get(name="Auditors")
    state = {"group": str(group.pk)} | state if "group" not in state else state
    with mock.patch.object(filterform, "_state", return_value=None):
        stock = form_html(groups, state)
    first = form_html(groups, state)  # drawn, and kept where it may be
    again = form_html(groups, state)  # from the store where kept
    assert first == stock
    assert again == stock


def test_one_store_across_states_keeps_each_its_own(groups):
    """The states one after the other, then back: each drawn from the store
    as it was, none with another's values."""
    with mock.patch.object(filterform, "_state", return_value=None):
        stock = [form_html(groups, state) for state in STATES]
    for _ in range(2):
        for state, html in zip(STATES, stock, strict=True):
            assert form_html(groups, state) == html
        for state, html in reversed(list(zip(STATES, stock, strict=True))):
            assert form_html(groups, state) == html


def test_a_seen_state_is_not_drawn_again(groups):
    form_html(groups, {"is_active": "false"})
    kept = len(filterform.drawn.entries)
    assert kept >= 14  # every field but none that failed
    with mock.patch("django.forms.boundfield.BoundField.as_field_group") as draw:
        html = form_html(groups, {"is_active": "false"})
    draw.assert_not_called()
    assert '<option value="false" selected>No</option>' in html


@pytest.mark.parametrize("state", [{}, {"is_active": "false"}, {"group": "1"}])
def test_the_store_costs_no_query_more(groups, state):
    """The group list is read once, as Django's rendering reads it (no COUNT
    beside it), whether the field is drawn or comes from the store."""

    def queries() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            form_html(groups, state)
        return [query["sql"] for query in captured.captured_queries]

    form_html(groups, state)  # the session and the like settle
    with mock.patch.object(filterform, "_state", return_value=None):
        stock = queries()
    filterform.drawn.clear()
    assert len(queries()) == len(stock)  # drawn
    kept = queries()  # from the store
    assert len(kept) == len(stock)
    groups_read = sum("auth_group" in sql for sql in stock)
    assert sum("auth_group" in sql for sql in kept) == groups_read


def test_refused_and_typed_values_are_not_kept(groups):
    form_html(groups, {"is_active": "<script>", "created_after": "2025-01-01"})
    keys = list(filterform.drawn.entries)
    values = {key[2]: key[4] for key in keys}
    assert "is_active" not in values  # an error: never kept
    assert "created_after" not in values  # a typed date: never kept
    assert values["is_staff"] is None


def test_a_renamed_group_shows_its_new_name(groups):
    group = Group.objects.get(name="Auditors")
    assert ">Auditors</option>" in form_html(groups, {})
    group.name = "Reviewers"
    group.save()
    html = form_html(groups, {})
    assert ">Reviewers</option>" in html
    assert ">Auditors</option>" not in html


def test_the_store_forgets_the_oldest_past_its_size():
    store = filterform._Drawn(2)
    for n in range(3):
        store.put((n,), f"<p>{n}</p>")
    assert store.get((0,)) is None
    assert store.get((2,)) == "<p>2</p>"


def test_templates_and_form_templates_are_compiled_once():
    """The settings name no loaders, so Django caches compiled templates (in
    production and under DEBUG alike); the forms draw through that engine."""
    engine = engines["django"].engine
    assert isinstance(engine.template_loaders[0], cached.Loader)
    field = get_default_renderer().get_template("forms/field.html")
    assert field.template.engine is engine
