"""The user changelist's fixed parts drawn once (users.admin.chrome): the
page is the stock templates' page whatever was drawn before it - another
user's permissions, another language, other filters - and a template the
project overrides is drawn by its own rendering every time."""

import re

import pytest
from django.contrib.admin import helpers, site
from django.template import Context
from django.urls import reverse

from users.admin import chrome
from users.admin.users import UserAdmin
from users.models import User

from .factories import SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:users_user_changelist")
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


@pytest.fixture(autouse=True)
def nothing_drawn_yet():
    chrome.drawings.clear()
    yield
    chrome.drawings.clear()


def page(client, query: dict | None = None, *, stock: bool = False) -> str:
    """The changelist's HTML, or the stock templates' (change_list.html and the
    stock action form), the whitespace between tags set aside (the user
    changelist's template lays its result block out on fewer lines)."""
    with pytest.MonkeyPatch.context() as patch:
        if stock:
            patch.setattr(UserAdmin, "change_list_template", "admin/change_list.html")
            patch.setattr(UserAdmin, "action_form", helpers.ActionForm)
        response = client.get(CHANGELIST, query or {})
    assert response.status_code == 200
    return re.sub(r">\s+<", "><", CSRF.sub("", response.content.decode()))


QUERIES = [
    {},
    {"is_active__exact": "0"},
    {"status": "suspended", "is_staff__exact": "1"},
    {"q": "someone", "is_superuser__exact": "0"},
    {"o": "3.-7", "p": "1"},
]


@pytest.mark.parametrize("query", QUERIES)
def test_the_page_is_the_stock_templates_once_drawn_and_again(superuser_client, query):
    UserFactory(username="someone", full_name="<b>Some & One</b>")
    for other in QUERIES:  # everything drawn, under other selections
        page(superuser_client, other)
    assert page(superuser_client, query) == page(superuser_client, query, stock=True)


def test_each_permission_set_gets_its_own_sidebar_and_actions(client):
    client.force_login(SuperuserFactory())
    everything = page(client)
    client.force_login(staff_with("view_user"))
    viewer = page(client)
    assert viewer == page(client, stock=True)
    assert viewer != everything
    # The viewer may change nothing: neither other models nor actions.
    assert 'href="/admin/auth/group/"' in everything
    assert 'href="/admin/auth/group/"' not in viewer
    assert 'value="deactivate_selected"' in everything
    assert 'value="deactivate_selected"' not in viewer


HOSTILE_QUERIES = [
    {"q": '<script>alert(1)</script>"onmouseover=x'},
    {"q": "\u202eevil\x00", "o": "2"},
    {"o": "<b>"},
    {"_popup": "1", "_to_field": "id"},
    {"_facets": "1", "is_staff__exact": "1"},
    {"all": ""},
]


def test_hostile_and_popup_lists_are_the_stock_page_for_every_role(client, monkeypatch):
    """Every role's page and every hostile or popup list drawn first, then
    each one again: no drawing is another role's (an add link, an action, a
    sidebar entry) or another query's (a search, a sort link)."""
    monkeypatch.setattr(UserAdmin, "list_per_page", 2)
    UserFactory(full_name="<i>x</i>", username="o'neil&<b>")
    UserFactory.create_batch(2)
    viewers = [
        SuperuserFactory(),
        staff_with("view_user"),
        staff_with("view_user", "add_user", "change_user", "delete_user"),
    ]
    for viewer in viewers:
        client.force_login(viewer)
        for query in HOSTILE_QUERIES:
            page(client, query)
    for viewer in reversed(viewers):
        client.force_login(viewer)
        for query in HOSTILE_QUERIES:
            ours = page(client, query)
            assert ours == page(client, query, stock=True), (viewer, query)
            assert "<script>" not in ours and "<b>" not in ours


def test_each_language_gets_its_own_drawing(superuser_client, settings):
    english = page(superuser_client)
    settings.LANGUAGE_CODE = "fr"
    french = page(superuser_client)
    assert french == page(superuser_client, stock=True)
    # The sidebar, a filter's title and an action's name (the select's option).
    for text in ("Écrivez ici pour filtrer", "Par actif", "Choisir une option"):
        assert text in french and text not in english


def test_a_second_action_bar_is_drawn_as_the_second(superuser_client, monkeypatch):
    UserFactory.create_batch(3)
    monkeypatch.setattr(UserAdmin, "actions_on_bottom", True)
    ours = page(superuser_client)
    assert ours == page(superuser_client, stock=True)
    assert 'name="index" value="0"' in ours and 'name="index" value="1"' in ours


def test_each_page_gets_its_own_page_links(superuser_client, monkeypatch):
    UserFactory.create_batch(9)
    monkeypatch.setattr(UserAdmin, "list_per_page", 2)
    for query in ({"p": "1"}, {"p": "3"}, {"p": "3", "is_active__exact": "1"}):
        page(superuser_client, query)  # drawn under other pages first
    for query in ({"p": "2"}, {"p": "3"}, {"p": "2", "is_active__exact": "1"}):
        ours = page(superuser_client, query)
        assert ours == page(superuser_client, query, stock=True)
        assert f'aria-current="page">{query["p"]}</a>' in ours


def test_each_sort_order_gets_its_own_headers(superuser_client):
    UserFactory.create_batch(3)
    orders = ({"o": "2"}, {"o": "-2"}, {"o": "2.-3"}, {"o": "-3.2"}, {})
    for query in orders:
        page(superuser_client, query)
    for query in orders:
        assert page(superuser_client, query) == page(
            superuser_client, query, stock=True
        )


def test_a_project_override_of_a_template_is_drawn_every_time(
    superuser_client, monkeypatch
):
    page(superuser_client)
    monkeypatch.setattr(chrome, "_stock", lambda template: False)
    drawn = []
    monkeypatch.setattr(
        chrome.drawings, "get", lambda key, draw: drawn.append(key) or draw()
    )
    assert page(superuser_client) == page(superuser_client, stock=True)
    # Only what reads nothing but its own state: the action menu's widgets
    # (their templates read only their context), the scripts' tags, the
    # documentation's URL and the rows' change link.
    assert {key[0] for key in drawn} == {
        chrome.DrawnOnceSelect,
        chrome.DrawnOnceHiddenInput,
        "media",
        "admindocs",
        "change link",
    }


def test_scripts_carry_each_pages_nonce():
    media = UserAdmin(User, site).media["js"]
    plain = chrome.media_js(Context({}), media)
    assert plain == chrome.media_js(Context({}), media) == media.render()
    for nonce in ("first", "second"):
        drawn = chrome.media_js(Context({"csp_nonce": nonce}), media)
        assert drawn == media.render(attrs={"nonce": nonce})
        assert f'nonce="{nonce}"' in drawn


def test_the_actions_are_worked_out_once_a_request(client, monkeypatch):
    client.force_login(staff_with("view_user", "change_user"))
    asked = []
    filter_actions = UserAdmin._filter_actions_by_permissions

    def spy(self, request, actions):
        asked.append(request)
        return filter_actions(self, request, actions)

    monkeypatch.setattr(UserAdmin, "_filter_actions_by_permissions", spy)
    html = page(client)
    assert len(asked) == 1
    # Whoever may change users has the checkbox column and the menu.
    assert 'class="action-select"' in html and 'value="activate_selected"' in html
    assert html == page(client, stock=True)


def test_the_documentation_link_is_looked_up_once(superuser_client, monkeypatch):
    assert chrome.admindocs_root() == ""  # no django.contrib.admindocs here
    monkeypatch.setattr(chrome, "reverse", lambda name: f"/docs/{name}/")
    assert chrome.admindocs_root() == ""  # the lookup is kept
    chrome.drawings.clear()
    assert chrome.admindocs_root() == "/docs/django-admindocs-docroot/"
    assert 'href="/docs/django-admindocs-docroot/">Documentation' in page(
        superuser_client
    )


def test_the_least_recently_used_drawing_goes_first():
    drawings = chrome.Drawings(size=2)
    drawings.get("a", lambda: "A")
    drawings.get("b", lambda: "B")
    assert drawings.get("a", lambda: "again") == "A"
    drawings.get("c", lambda: "C")  # over the size: "b" goes
    assert drawings.get("b", lambda: "B2") == "B2"
    assert drawings.get("a", lambda: "A2") == "A2"
