"""Who reaches what: every URL (our pages and the admin's) x every role x GET
and POST, through the test client.

Anonymous visitors, and inactive accounts whatever their rank, are sent to the
login page (the admin's, for admin URLs, where non-staff go too); a logged-in
role without the permission gets the 403 page; a role with it gets the page
(our pages answer 405 to a method they do not take). A POST changes nothing
unless it is an allowed activate, deactivate or delete. Which actor may act on
which target is test_privilege_hierarchy.py's matter.
"""

from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.test import Client
from django.urls import reverse

from users.models import AuditEvent, User, UserSession

from .factories import ROLES, UserFactory
from .tampering import triggers_off

pytestmark = pytest.mark.django_db

# Who holds what; as in the admin, permission to change users includes seeing them.
VIEWERS = {"viewer", "changer", "deleter", "change_only", "superuser"}
CHANGERS = {"changer", "change_only", "superuser"}
DELETERS = {"deleter", "delete_only", "superuser"}
SUPERUSER = {"superuser"}
LOGGED_OUT = {"anonymous", "inactive_superuser"}
STAFF = set(ROLES) - LOGGED_OUT - {"non_staff"}
NOBODY: set[str] = set()

# Our pages. name: (url name, takes the target's id, roles with the page's
# permission, the methods it takes).
OUR_PAGES = {
    "list": ("users:list", False, VIEWERS, {"get"}),
    "export": ("users:export", False, VIEWERS, {"get"}),
    "detail": ("users:detail", True, VIEWERS, {"get"}),
    "create": ("users:create", False, SUPERUSER, {"get", "post"}),
    "edit": ("users:edit", True, CHANGERS, {"get", "post"}),
    "password": ("users:password", True, CHANGERS, {"get", "post"}),
    "password link": ("users:password_link", True, CHANGERS, {"post"}),
    "personal data": ("users:personal_data", True, CHANGERS, {"get"}),
    "delete": ("users:delete", True, DELETERS, {"get", "post"}),
    "erase": ("users:erase", True, DELETERS, {"get", "post"}),
    "activate": ("users:activate", True, CHANGERS, {"post"}),
    "deactivate": ("users:deactivate", True, CHANGERS, {"post"}),
    "mfa reset": ("users:mfa_reset", True, CHANGERS, {"get", "post"}),
    "access": ("users:access", True, CHANGERS, {"get", "post"}),
    "history": ("users:history", True, VIEWERS, {"get"}),
    "suspend": ("users:suspend", True, CHANGERS, {"get", "post"}),
    "lift suspension": ("users:lift_suspension", True, CHANGERS, {"post"}),
    "active until": ("users:active_until", True, CHANGERS, {"get", "post"}),
    "lockouts": ("users:lockouts", False, CHANGERS, {"get"}),
    "dormant": ("users:dormant", False, VIEWERS, {"get"}),
    "dormant export": ("users:dormant_export", False, VIEWERS, {"get"}),
    "dormancy exemption": ("users:dormancy_exemption", True, CHANGERS, {"get", "post"}),
    "lockout lift": ("users:lockout_lift", False, CHANGERS, {"post"}),
}
# What a POST sends, where an empty one would be refused as a bad request.
POST_DATA = {"lockout lift": {"lift": "address", "ip": "192.0.2.1"}}
# Where an allowed (empty) POST to our pages leads; the form pages show
# themselves again with their errors (200).
AFTER_POST = {
    "delete": lambda target: reverse("users:list"),
    "activate": lambda target: reverse("users:detail", args=[target.pk]),
    "deactivate": lambda target: reverse("users:detail", args=[target.pk]),
    "password link": lambda target: reverse("users:detail", args=[target.pk]),
    # The target has no second factors: nothing to reset, nothing recorded.
    "mfa reset": lambda target: reverse("users:detail", args=[target.pk]),
    # Nothing ticked, and the target holds nothing: nothing changed.
    "access": lambda target: reverse("users:detail", args=[target.pk]),
    # No end before, none after: nothing changed, nothing recorded.
    "active until": lambda target: reverse("users:detail", args=[target.pk]),
    # The target is not suspended: refused with a message, nothing changed.
    "lift suspension": lambda target: reverse("users:detail", args=[target.pk]),
    # Not exempt before, nor after (the box unticked): nothing recorded.
    "dormancy exemption": lambda target: reverse("users:detail", args=[target.pk]),
    # No lockout of that address: nothing lifted, nothing recorded.
    "lockout lift": lambda target: reverse("users:lockouts"),
}
# The admin's pages. name: (url name, what its id names, roles allowed on GET,
# on POST). An allowed empty POST answers 200 and changes nothing: forms come
# back with their errors, the delete page asks again, read-only pages answer
# as to a GET.
ADMIN_PAGES = {
    "admin index": ("admin:index", None, STAFF, STAFF),
    "admin own password": ("admin:password_change", None, STAFF, STAFF),
    "admin users": ("admin:users_user_changelist", None, VIEWERS, VIEWERS),
    "admin user add": ("admin:users_user_add", None, SUPERUSER, SUPERUSER),
    "admin user change": ("admin:users_user_change", "user", VIEWERS, CHANGERS),
    "admin user delete": ("admin:users_user_delete", "user", DELETERS, DELETERS),
    "admin user password": (
        "admin:auth_user_password_change",
        "user",
        CHANGERS,
        CHANGERS,
    ),
    "admin user history": ("admin:users_user_history", "user", VIEWERS, VIEWERS),
    # Groups are grants: only superusers see or change them.
    "admin groups": ("admin:auth_group_changelist", None, SUPERUSER, SUPERUSER),
    "admin group add": ("admin:auth_group_add", None, SUPERUSER, SUPERUSER),
    "admin group change": ("admin:auth_group_change", "group", SUPERUSER, SUPERUSER),
    "admin group delete": ("admin:auth_group_delete", "group", SUPERUSER, SUPERUSER),
    "admin group history": (
        "admin:auth_group_history",
        "group",
        SUPERUSER,
        SUPERUSER,
    ),
    # The audit trail: superusers read it; nobody adds, edits or deletes.
    "admin audit trail": (
        "admin:users_auditevent_changelist",
        None,
        SUPERUSER,
        SUPERUSER,
    ),
    "admin audit event": ("admin:users_auditevent_change", "event", SUPERUSER, NOBODY),
    "admin audit add": ("admin:users_auditevent_add", None, NOBODY, NOBODY),
    "admin audit delete": ("admin:users_auditevent_delete", "event", NOBODY, NOBODY),
    # Everyone's API tokens, read-only but for the revoke action.
    "admin api tokens": ("admin:users_apitoken_changelist", None, CHANGERS, CHANGERS),
    # Lockouts (django-axes): a superuser clears them.
    # django-axes' failure records, read-only but for the lift actions.
    "admin login attempts": (
        "admin:axes_accessattempt_changelist",
        None,
        CHANGERS,
        CHANGERS,
    ),
}
STATE_CHANGES = {"delete", "activate", "deactivate"}
# Allowed, they change no account: they mail it a link and record that.
SENDS_MAIL = {"password link"}
CASES = [
    (name, method, role)
    for name in [*OUR_PAGES, *ADMIN_PAGES]
    for method in ("get", "post")
    for role in ROLES
]


def url_of(name: str, target: User) -> str:
    if name in OUR_PAGES:
        url_name, takes_id, _, _ = OUR_PAGES[name]
        return reverse(url_name, args=[target.pk] if takes_id else [])
    url_name, names, _, _ = ADMIN_PAGES[name]
    if names == "group":
        return reverse(url_name, args=[Group.objects.create(name="Editors").pk])
    if names == "event":
        event = AuditEvent.objects.create(
            action=AuditEvent.Action.UPDATE,
            actor_label="system",
            target_id=target.pk,
            target_label=target.username,
        )
        return reverse(url_name, args=[event.pk])
    return reverse(url_name, args=[target.pk] if names == "user" else [])


def expected(name: str, method: str, role: str, url: str, target: User):
    """(status, Location) for this request."""
    if name in ADMIN_PAGES:
        _, _, get_roles, post_roles = ADMIN_PAGES[name]
        if role in LOGGED_OUT or role == "non_staff":
            return 302, f"{reverse('admin:login')}?next={quote(url)}"
        allowed = get_roles if method == "get" else post_roles
        return (200, None) if role in allowed else (403, None)
    _, _, holders, methods = OUR_PAGES[name]
    if role in LOGGED_OUT:
        return 302, f"{reverse('login')}?next={quote(url)}"
    if role not in holders:
        return 403, None
    if method not in methods:
        return 405, None
    if method == "post" and name in AFTER_POST:
        return 302, AFTER_POST[name](target)
    return 200, None


def state() -> tuple:
    return (
        list(User.objects.order_by("pk").values()),
        list(Group.objects.order_by("pk").values()),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(("name", "method", "role"), CASES)
def test_authorization_matrix(client, login, name, method, role):
    target = UserFactory(is_active=name != "activate")
    url = url_of(name, target)
    login(role)
    before = state()
    data = POST_DATA.get(name) if method == "post" else None
    response = getattr(client, method)(url, data)
    status, location = expected(name, method, role, url, target)
    case = f"{method.upper()} {url} as {role}"
    assert response.status_code == status, f"{case}: {response.status_code}"
    assert response.get("Location") == location, case
    if status == 403:
        assert b"You do not have permission" in response.content, case
    if method != "post":
        return
    if name in STATE_CHANGES and status == 302 and role not in LOGGED_OUT:
        stored = User.objects.filter(pk=target.pk).first()
        if name == "delete":
            assert stored is None, case
        else:
            assert stored.is_active == (name == "activate"), case
        assert AuditEvent.objects.count() == before[2] + 1, case
    elif name in SENDS_MAIL and status == 302 and role not in LOGGED_OUT:
        assert state()[:2] == before[:2], case
        assert AuditEvent.objects.count() == before[2] + 1, case
        assert [message.to for message in mail.outbox] == [[target.email]], case
    else:
        assert not mail.outbox, case
        assert state() == before, f"{case} changed something"


# Pages for everyone, logged in or not. (name, method): (status, where to).
PUBLIC = {
    ("home", "get"): (302, reverse("users:list")),
    ("login", "get"): (200, None),
    ("login", "post"): (200, None),  # the form again, with its errors
    ("logout", "get"): (405, None),
    ("logout", "post"): (302, reverse("login")),
    ("healthz", "get"): (200, None),
    ("readyz", "get"): (200, None),
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "method"), PUBLIC)
def test_public_pages_answer_every_role(client, login, name, method, role):
    login(role)
    response = getattr(client, method)(reverse(name))
    assert (response.status_code, response.get("Location")) == PUBLIC[name, method]
    if name == "logout" and method == "post":
        assert "_auth_user_id" not in client.session


@pytest.mark.parametrize(
    "path", ["/users/999999/", "/users/999999/edit/", "/users/99999999999999999999999/"]
)
def test_missing_user_is_a_404_page(client, login, path):
    login("superuser")
    response = client.get(path)
    assert response.status_code == 404
    assert b"Not found" in response.content


# Every signed-in account's own second factors, /accounts/mfa/ (the gate that
# sends unverified staff there is test_mfa_gate.py's matter). name: methods.
OWN_FACTOR_PAGES = {
    "mfa:security": {"get", "post"},
    "mfa:setup": {"get", "post"},
    "mfa:verify": {"get", "post"},
    "mfa:recovery_codes": {"get"},  # shown once, on GET
}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", OWN_FACTOR_PAGES)
def test_own_factor_pages_answer_every_signed_in_role(
    client, login, name, method, role
):
    url = reverse(name)
    login(role)
    before = state()
    response = getattr(client, method)(url)
    case = f"{method.upper()} {url} as {role}"
    if role in LOGGED_OUT:
        assert response.status_code == 302, case
        assert response["Location"] == f"{reverse('login')}?next={quote(url)}", case
    elif method not in OWN_FACTOR_PAGES[name]:
        assert response.status_code == 405, case
    else:
        assert response.status_code in (200, 302), case
    assert state() == before, f"{case} changed something"


# Sessions: every signed-in account's own, and (with change_user) another's.
# name: (url name, what its arguments name, roles allowed, methods taken).
SIGNED_IN = set(ROLES) - LOGGED_OUT
TARGET, TARGETS_SESSION, OWN_SESSION = "target", "target's session", "own session"
SESSION_PAGES = {
    "my sessions": ("users:my_sessions", None, SIGNED_IN, {"get"}),
    "end my session": ("users:my_session_end", OWN_SESSION, SIGNED_IN, {"post"}),
    "end all my sessions": ("users:my_sessions_end_all", None, SIGNED_IN, {"post"}),
    "end a session": ("users:session_end", TARGETS_SESSION, CHANGERS, {"post"}),
    "end all sessions": ("users:sessions_end_all", TARGET, CHANGERS, {"post"}),
}


def _another_session_of(user: User) -> int:
    """Sign user in elsewhere; that session's record id."""
    Client().force_login(user)
    return UserSession.objects.filter(user=user).latest("id").pk


def _session_url(name: str, target: User, user: User | None) -> str:
    url_name, arguments, _, _ = SESSION_PAGES[name]
    if arguments == TARGETS_SESSION:
        args = [target.pk, _another_session_of(target)]
    elif arguments == OWN_SESSION:
        # Signed out: someone's session, refused all the same.
        args = [_another_session_of(user if user and user.is_active else target)]
    else:
        args = [target.pk] if arguments == TARGET else []
    return reverse(url_name, args=args)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", SESSION_PAGES)
def test_session_pages(client, login, name, method, role):
    _, _, holders, methods = SESSION_PAGES[name]
    target = UserFactory()
    user = login(role)
    url = _session_url(name, target, user)
    events = AuditEvent.objects.count()
    response = getattr(client, method)(url)
    case = f"{method.upper()} {url} as {role}"
    if role in LOGGED_OUT:
        assert response.status_code == 302, case
        assert response["Location"] == f"{reverse('login')}?next={quote(url)}", case
    elif role not in holders:
        assert response.status_code == 403, case
    elif method not in methods:
        assert response.status_code == 405, case
    elif method == "get":
        assert response.status_code == 200, case
    else:
        assert response.status_code == 302, case
        assert AuditEvent.objects.count() == events + 1, f"{case}: not recorded"
        return
    assert AuditEvent.objects.count() == events, f"{case} recorded something"


# Bulk actions from the list. name: (url name, roles with the page's
# permission, the methods it takes). The bulk form's POST deactivates the
# ticked target at once (a few accounts, undoable: no confirmation page),
# which takes change_user; viewers may post it for an export only. The result page
# and its Undo name a bulk change that the signed-in role itself made.
BULK_PAGES = {
    "bulk": ("users:bulk", VIEWERS, {"post"}),
    "bulk result": ("users:bulk_result", VIEWERS, {"get"}),
    "bulk undo": ("users:bulk_undo", CHANGERS, {"post"}),
}
# Who may do what the bulk form's POST asks (deactivate).
BULK_POSTERS = CHANGERS


def _bulk_url(name: str, target: User, user: User | None) -> str:
    url_name = BULK_PAGES[name][0]
    if name == "bulk":
        return reverse(url_name)
    from users import services

    event = services.users_bulk(
        actor=None,
        action="deactivate",
        users=User.objects.filter(pk=target.pk),
        scope="ticked",
        filters="",
    )
    if user is not None:  # as if the role had made it (rewriting history)
        with triggers_off():
            AuditEvent.objects.filter(batch=event.batch).update(actor_id=user.pk)
    return reverse(url_name, args=[event.batch])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("name", BULK_PAGES)
def test_bulk_pages(client, login, name, method, role):
    _, holders, methods = BULK_PAGES[name]
    target = UserFactory()
    user = login(role)
    url = _bulk_url(name, target, user)
    before = state()
    data = {"action": "deactivate", "id": [target.pk]} if method == "post" else None
    response = getattr(client, method)(url, data)
    case = f"{method.upper()} {url} as {role}"
    if role in LOGGED_OUT:
        assert response.status_code == 302, case
        assert response["Location"] == f"{reverse('login')}?next={quote(url)}", case
    elif role not in holders or (
        name == "bulk" and method == "post" and role not in BULK_POSTERS
    ):
        assert response.status_code == 403, case
        assert b"You do not have permission" in response.content, case
    elif method not in methods:
        assert response.status_code == 405, case
    elif name == "bulk" and method == "post":
        assert response.status_code == 302, case
        assert not User.objects.get(pk=target.pk).is_active, f"{case}: not done"
        # One event for the account, one for the bulk action itself.
        assert AuditEvent.objects.count() == before[2] + 2, f"{case}: not recorded"
        return
    elif name == "bulk undo":
        assert response.status_code == 302, case
        assert User.objects.get(pk=target.pk).is_active, f"{case}: not undone"
        # One event for the account, one for the undo itself.
        assert AuditEvent.objects.count() == before[2] + 2, f"{case}: not recorded"
        return
    else:
        assert response.status_code == 200, case
    assert state() == before, f"{case} changed something"
