"""The privilege hierarchy: actor role x target role x action, on our pages, in
the admin and through the JSON API. An action happens (its effect is in the
database) exactly when the rules allow it; otherwise nothing changes, whatever
the response."""

from contextlib import suppress
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from axes.models import AccessAttempt
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from users import factors, services
from users.models import ApiToken, AuditEvent, User, UserSession

from .factories import PASSWORD, SuperuserFactory, UserFactory, edit_data, staff_with
from .mfa import enrol
from .tampering import triggers_off

pytestmark = pytest.mark.django_db

FULL = ("view_user", "add_user", "change_user", "delete_user")
ROLES = {
    "non_staff": lambda: UserFactory(),
    "view_only": lambda: staff_with("view_user"),
    "change": lambda: staff_with("view_user", "change_user"),
    "full": lambda: staff_with(*FULL),
    "superuser": lambda: SuperuserFactory(),
}
# Who outranks whom: the target's permissions (and staff status) are a subset
# of the actor's, or the actor is a superuser.
BELOW = {
    "non_staff": set(),
    "view_only": set(),
    "change": {"non_staff", "view_only", "change"},
    "full": {"non_staff", "view_only", "change", "full"},
    "superuser": set(ROLES),
}
NEEDS = {  # the model permission each action needs besides the hierarchy
    "identity": "change",
    "password": "change",
    "deactivate": "change",
    "delete": "delete",
    "grant": "change",  # and only what the actor holds: see below
    "reset_mfa": "change",
    "end_sessions": "change",
    "end_session": "change",
    "lift": "change",
    "undo": "change",
    "revoke_token": "change",
}
HOLDS = {
    "non_staff": set(),
    "view_only": set(),
    "change": {"change"},
    "full": {"change", "delete"},
    "superuser": {"change", "delete", "superuser"},
}
NEW_PASSWORD = "a-new-pass-8462"


def allowed(actor: str, target: str, action: str) -> bool:
    return target in BELOW[actor] and NEEDS[action] in HOLDS[actor]


def _identity_html(client, target):
    data = edit_data(target, email=f"renamed{target.pk}@example.com")
    client.post(reverse("users:edit", args=[target.pk]), data)


def _identity_admin(client, target):
    data = edit_data(target, email=f"renamed{target.pk}@example.com")
    client.post(reverse("admin:users_user_change", args=[target.pk]), data)


def _password(url_name):
    def act(client, target):
        client.post(
            reverse(url_name, args=[target.pk]),
            {
                "usable_password": "true",
                "password1": NEW_PASSWORD,
                "password2": NEW_PASSWORD,
            },
        )

    return act


def _deactivate_html(client, target):
    client.post(reverse("users:deactivate", args=[target.pk]))


def _deactivate_admin(client, target):
    client.post(
        reverse("admin:users_user_changelist"),
        {"action": "deactivate_selected", "_selected_action": [target.pk]},
    )


def _delete_html(client, target):
    client.post(reverse("users:delete", args=[target.pk]))


def _delete_admin(client, target):
    client.post(reverse("admin:users_user_delete", args=[target.pk]), {"post": "yes"})


def _grant_admin(client, target):
    group = Group.objects.create(name=f"granted{target.pk}")
    data = edit_data(target) | {"groups": [group.pk]}
    client.post(reverse("admin:users_user_change", args=[target.pk]), data)


def _grant_html(client, target):
    group = Group.objects.create(name=f"granted{target.pk}")
    client.post(reverse("users:access", args=[target.pk]), {"groups": [group.pk]})


def _reset_mfa_html(client, target):
    enrol(target)
    client.post(reverse("users:mfa_reset", args=[target.pk]))


def _reset_mfa_admin(client, target):
    enrol(target)
    client.post(
        reverse("admin:users_user_changelist"),
        {"action": "reset_mfa_selected", "_selected_action": [target.pk]},
    )


def _signed_in_elsewhere(target) -> Client:
    """A session of target's, kept on the target for happened() to try."""
    target.elsewhere = Client()
    target.elsewhere.force_login(target)
    return target.elsewhere


def _end_sessions_html(client, target):
    _signed_in_elsewhere(target)
    client.post(reverse("users:sessions_end_all", args=[target.pk]))


def _end_session_html(client, target):
    _signed_in_elsewhere(target)
    record = UserSession.objects.filter(user=target).latest("id")
    client.post(reverse("users:session_end", args=[target.pk, record.pk]))


def _end_sessions_admin(client, target):
    _signed_in_elsewhere(target)
    client.post(
        reverse("admin:users_user_changelist"),
        {"action": "end_sessions_selected", "_selected_action": [target.pk]},
    )


def _session_ended(target) -> bool:
    response = target.elsewhere.get(reverse("users:my_sessions"))
    return response.status_code == 302


def _identity_api(client, target):
    client.patch(
        f"/api/users/{target.pk}",
        {"email": f"renamed{target.pk}@example.com"},
        content_type="application/json",
    )


def _deactivate_api(client, target):
    client.post(f"/api/users/{target.pk}/deactivate")


def _delete_api(client, target):
    client.delete(f"/api/users/{target.pk}")


def _revoke_token_admin(client, target):
    # A token row as the target would have made it (any role may hold one).
    ApiToken.objects.create(
        user=target,
        name="theirs",
        prefix=f"p{target.pk:07d}",
        digest="0" * 64,
        epoch=target.session_epoch,
        expires_at=timezone.now() + timedelta(days=1),
    )
    client.post(
        reverse("admin:users_apitoken_changelist"),
        {
            "action": "revoke_tokens",
            "_selected_action": list(
                ApiToken.objects.filter(user=target).values_list("pk", flat=True)
            ),
        },
    )


LOCKED_OUT_FROM = "198.51.100.77"


def _locked_out(target):
    client = Client(REMOTE_ADDR=LOCKED_OUT_FROM)
    for _ in range(5):
        client.post(reverse("login"), {"username": target.username, "password": "x"})


def _lift_html(client, target):
    _locked_out(target)
    data = {"lift": "account", "ip": LOCKED_OUT_FROM, "login_key": f"user:{target.pk}"}
    client.post(reverse("users:lockout_lift"), data)


def _lift_admin(client, target):
    _locked_out(target)
    selected = AccessAttempt.objects.filter(username=f"user:{target.pk}")
    client.post(
        reverse("admin:axes_accessattempt_changelist"),
        {
            "action": "lift_account_lockouts",
            "_selected_action": list(selected.values_list("pk", flat=True)),
        },
    )


def _bulk(action):
    """The list's bulk form, confirmed: the ticked target, nothing else."""

    def act(client, target):
        if action == "end_sessions":
            _signed_in_elsewhere(target)
        data = {"action": action, "scope": "ticked", "query": "", "id": [target.pk]}
        client.post(reverse("users:bulk"), data | {"confirm": "1", "expected": 1})

    return act


def _undo_html(client, target):
    """Undo a bulk deactivation of target recorded as the actor's own (made
    while the target was below them, say): the undo is judged again now."""
    actor = User.objects.get(pk=client.session["_auth_user_id"])
    event = services.users_bulk(
        actor=None,
        action="deactivate",
        users=User.objects.filter(pk=target.pk),
        scope="ticked",
        filters="",
    )
    with triggers_off():  # as if actor had made it (rewriting history)
        AuditEvent.objects.filter(batch=event.batch).update(actor_id=actor.pk)
    client.post(reverse("users:bulk_undo", args=[event.batch]))


def _still_locked_out(target) -> bool:
    client = Client(REMOTE_ADDR=LOCKED_OUT_FROM)
    data = {"username": target.username, "password": PASSWORD}
    return client.post(reverse("login"), data).status_code == 429


def _async(action: str):
    """The async twins of the services (users.services.asynchronous), called
    as the signed-in actor; a refusal is their PermissionDenied."""

    def act(client, target):
        actor = User.objects.get(pk=client.session["_auth_user_id"])
        twin, changes = {
            "identity": (
                services.auser_update,
                {"email": f"renamed{target.pk}@example.com"},
            ),
            "password": (services.auser_set_password, {"password": NEW_PASSWORD}),
            "deactivate": (services.auser_deactivate, {}),
            "delete": (services.auser_delete, {}),
        }[action]

        async def call():
            await twin(actor=actor, user=target, **changes)

        with suppress(PermissionDenied):
            async_to_sync(call)()

    return act


def happened(action: str, target: User) -> bool:
    stored = User.objects.filter(pk=target.pk).first()
    if action == "delete":
        return stored is None
    if action.startswith("end_session"):
        return _session_ended(target)
    if action == "lift":
        return not _still_locked_out(target)
    if action == "revoke_token":
        return ApiToken.objects.filter(user=target, revoked_at__isnull=False).exists()
    return {
        "identity": lambda: stored.email == f"renamed{target.pk}@example.com",
        "password": lambda: stored.check_password(NEW_PASSWORD),
        "deactivate": lambda: not stored.is_active,
        "undo": lambda: stored.is_active,
        "grant": lambda: stored.groups.exists(),
        "reset_mfa": lambda: not factors.is_enrolled(stored),
    }[action]()


ASYNC_ACTIONS = ("identity", "password", "deactivate", "delete")
SURFACES = {
    ("html", "identity"): _identity_html,
    ("html", "password"): _password("users:password"),
    ("html", "deactivate"): _deactivate_html,
    ("html", "delete"): _delete_html,
    ("admin", "identity"): _identity_admin,
    ("admin", "password"): _password("admin:auth_user_password_change"),
    ("admin", "deactivate"): _deactivate_admin,
    ("admin", "delete"): _delete_admin,
    ("admin", "grant"): _grant_admin,
    ("html", "grant"): _grant_html,
    ("html", "reset_mfa"): _reset_mfa_html,
    ("admin", "reset_mfa"): _reset_mfa_admin,
    ("html", "end_sessions"): _end_sessions_html,
    ("html", "end_session"): _end_session_html,
    ("admin", "end_sessions"): _end_sessions_admin,
    ("html", "lift"): _lift_html,
    ("admin", "lift"): _lift_admin,
    ("bulk", "deactivate"): _bulk("deactivate"),
    ("bulk", "delete"): _bulk("delete"),
    ("bulk", "end_sessions"): _bulk("end_sessions"),
    ("bulk", "undo"): _undo_html,
    ("api", "identity"): _identity_api,
    ("api", "deactivate"): _deactivate_api,
    ("api", "delete"): _delete_api,
    ("admin", "revoke_token"): _revoke_token_admin,
    **{("async", action): _async(action) for action in ASYNC_ACTIONS},
}
CASES = [
    (surface, action, actor, target)
    for (surface, action) in SURFACES
    for actor in ROLES
    for target in ROLES
]


@pytest.mark.parametrize(("surface", "action", "actor", "target"), CASES)
def test_hierarchy(client, surface, action, actor, target):
    SuperuserFactory()  # never the last superuser: that rule is tested apart
    acting, targeted = ROLES[actor](), ROLES[target]()
    client.force_login(acting)
    SURFACES[surface, action](client, targeted)
    expected = allowed(actor, target, action)
    assert happened(action, targeted) is expected, (
        f"{actor} {action} {target} via {surface}: expected "
        f"{'allowed' if expected else 'refused'}"
    )


def test_permissions_through_a_group_count_like_direct_ones(client):
    """A change-only staff member may not touch someone whose group grants delete."""
    group = Group.objects.create(name="deleters")
    group.permissions.set(staff_with(*FULL).user_permissions.all())
    target = staff_with("view_user")
    target.groups.add(group)
    client.force_login(staff_with("view_user", "change_user"))
    _password("users:password")(client, target)
    assert not happened("password", target)


def test_refused_actions_are_not_offered(client):
    """The detail page offers only what the rules would allow."""
    client.force_login(staff_with("view_user", "change_user"))
    above = staff_with(*FULL)
    html = client.get(reverse("users:detail", args=[above.pk])).content.decode()
    for action in ("edit", "password", "deactivate", "delete"):
        assert reverse(f"users:{action}", args=[above.pk]) not in html
    below = UserFactory()
    html = client.get(reverse("users:detail", args=[below.pk])).content.decode()
    for action in ("edit", "password", "deactivate"):
        assert reverse(f"users:{action}", args=[below.pk]) in html
    assert reverse("users:delete", args=[below.pk]) not in html  # no delete_user


def test_the_list_offers_row_actions_only_below_the_actor(client):
    client.force_login(staff_with("view_user", "change_user"))
    above, root, below = staff_with(*FULL), SuperuserFactory(), UserFactory()
    html = client.get(reverse("users:list")).content.decode()
    assert reverse("users:deactivate", args=[below.pk]) in html
    for account in (above, root):
        assert reverse("users:deactivate", args=[account.pk]) not in html


def test_the_admin_offers_no_delete_or_change_above_the_actor(client):
    client.force_login(staff_with(*FULL))
    above = SuperuserFactory()
    html = client.get(reverse("admin:users_user_change", args=[above.pk]))
    assert html.status_code == 200
    content = html.content.decode()
    assert reverse("admin:users_user_delete", args=[above.pk]) not in content
    assert 'name="_save"' not in content  # read-only view


@pytest.mark.parametrize("surface", ["html", "admin"])
@pytest.mark.parametrize("actor", ["change", "full"])
def test_nobody_gives_a_group_or_permission_they_do_not_hold(client, surface, actor):
    """Granting is the hierarchy applied to what is given: a staff member who
    may change the target still cannot give it more than they have."""
    acting, target = ROLES[actor](), ROLES["non_staff"]()
    client.force_login(acting)
    lacking = Permission.objects.get(codename="delete_group")
    group = Group.objects.create(name="group admins")
    group.permissions.set([lacking])
    url = {
        "html": reverse("users:access", args=[target.pk]),
        "admin": reverse("admin:users_user_change", args=[target.pk]),
    }[surface]
    base = {"html": {}, "admin": edit_data(target)}[surface]
    for grant in ({"groups": [group.pk]}, {"user_permissions": [lacking.pk]}):
        response = client.post(url, base | grant)
        assert response.status_code == 200, grant  # the form, with the reason
        assert "do not have" in response.content.decode(), grant
    assert not target.groups.exists() and not target.user_permissions.exists()
