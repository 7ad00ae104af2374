"""Every URL (ours and the admin's) x every role x GET and POST."""

import pytest
from django.urls import reverse

from .factories import SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db

ROLES = {
    "anonymous": lambda: None,
    "non_staff": lambda: UserFactory(),
    "staff_no_perms": lambda: staff_with(),
    "view_only": lambda: staff_with("view_user"),
    "change_only": lambda: staff_with("change_user"),
    "delete_only": lambda: staff_with("delete_user"),
    "superuser": lambda: SuperuserFactory(),
}
VIEWERS = {"view_only", "change_only", "superuser"}
CHANGERS = {"change_only", "superuser"}
DELETERS = {"delete_only", "superuser"}
ADDERS = {"superuser"}
# name: (url name, takes the target's id, roles allowed on GET, on POST)
URLS = {
    "list": ("users:list", False, VIEWERS, set()),
    "export": ("users:export", False, VIEWERS, set()),
    "create": ("users:create", False, ADDERS, ADDERS),
    "detail": ("users:detail", True, VIEWERS, set()),
    "edit": ("users:edit", True, CHANGERS, CHANGERS),
    "password": ("users:password", True, CHANGERS, CHANGERS),
    "delete": ("users:delete", True, DELETERS, DELETERS),
    "activate": ("users:activate", True, set(), CHANGERS),
    "deactivate": ("users:deactivate", True, set(), CHANGERS),
    "lockouts": ("users:lockouts", False, CHANGERS, set()),
    "lockout lift": ("users:lockout_lift", False, set(), CHANGERS),
    "admin changelist": ("admin:users_user_changelist", False, VIEWERS, VIEWERS),
    "admin add": ("admin:users_user_add", False, ADDERS, ADDERS),
    "admin change": ("admin:users_user_change", True, VIEWERS, CHANGERS),
    "admin delete": ("admin:users_user_delete", True, DELETERS, DELETERS),
    "admin password": ("admin:auth_user_password_change", True, CHANGERS, CHANGERS),
    # The admin answers POST on its read-only pages like GET: nothing changes.
    "admin history": ("admin:users_user_history", True, VIEWERS, VIEWERS),
    "admin audit trail": ("admin:users_auditevent_changelist", False, ADDERS, ADDERS),
    # django-axes' failure records, read-only but for the lift actions.
    "admin lockouts": (
        "admin:axes_accessattempt_changelist",
        False,
        CHANGERS,
        CHANGERS,
    ),
}
OURS_READ_ONLY = {"list", "export", "detail", "lockouts"}
POST_ONLY = {"activate", "deactivate", "lockout lift"}
# What a POST sends, where an empty one would be refused as a bad request.
POST_DATA = {"lockout lift": {"lift": "address", "ip": "192.0.2.1"}}


def expected(name: str, method: str, role: str) -> set[int]:
    url_name, _, get_roles, post_roles = URLS[name]
    admin = url_name.startswith("admin:")
    if role == "anonymous" or (admin and role == "non_staff"):
        return {302}  # to the login page
    allowed = get_roles if method == "get" else post_roles
    if role in allowed:
        return {200, 302}
    if not admin and method == "post" and name in OURS_READ_ONLY and role in get_roles:
        return {405}
    if not admin and method == "get" and name in POST_ONLY and role in post_roles:
        return {405}
    return {403}


CASES = [
    (name, method, role)
    for name in URLS
    for method in ("get", "post")
    for role in ROLES
]


@pytest.mark.parametrize(("name", "method", "role"), CASES)
def test_authorization_matrix(client, name, method, role):
    url_name, takes_id, _, _ = URLS[name]
    target = UserFactory()
    user = ROLES[role]()
    if user is not None:
        client.force_login(user)
    url = reverse(url_name, args=[target.pk] if takes_id else [])
    data = POST_DATA.get(name) if method == "post" else None
    response = getattr(client, method)(url, data)
    assert response.status_code in expected(name, method, role), (
        f"{method.upper()} {url} as {role}: {response.status_code}"
    )
    if response.status_code == 302 and role == "anonymous":
        assert "login" in response["Location"]
