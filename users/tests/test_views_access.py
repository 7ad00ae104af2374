"""Who reaches which staff page: every view through the client for every role."""

import pytest
from django.urls import reverse

from users.models import User

from .conftest import ROLES
from .factories import UserFactory

pytestmark = pytest.mark.django_db

# page -> the roles that get 200 (other logged-in roles get 403).
READERS = {"viewer", "changer", "deleter", "superuser"}
GET_PAGES = {
    "users:list": READERS,
    "users:export": READERS,
    "users:detail": READERS,
    "users:create": {"superuser"},
    "users:edit": {"changer", "superuser"},
    "users:delete": {"deleter", "superuser"},
}
NEEDS_TARGET = {"users:detail", "users:edit", "users:delete"}


def url_for(name: str, target: User) -> str:
    return reverse(name, args=[target.pk] if name in NEEDS_TARGET else [])


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("page", GET_PAGES)
def test_get_pages_by_role(client, login, role, page):
    target = UserFactory()
    login(role)
    response = client.get(url_for(page, target))
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role in GET_PAGES[page]:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
        assert b"You do not have permission" in response.content


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ["deactivate", "activate"])
def test_activation_by_role(client, login, role, action):
    target = UserFactory(is_active=action == "deactivate")
    login(role)
    response = client.post(reverse(f"users:{action}", args=[target.pk]))
    target.refresh_from_db()
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif role in {"changer", "superuser"}:
        assert response.status_code == 302
        assert target.is_active == (action == "activate")
        return
    else:
        assert response.status_code == 403
    assert target.is_active == (action == "deactivate")


@pytest.mark.parametrize("role", ROLES)
def test_delete_by_role(client, login, role):
    target = UserFactory()
    login(role)
    response = client.post(reverse("users:delete", args=[target.pk]))
    exists = User.objects.filter(pk=target.pk).exists()
    if role in {"deleter", "superuser"}:
        assert response.status_code == 302
        assert response["Location"] == reverse("users:list")
        assert not exists
    else:
        assert response.status_code in (302, 403)
        assert exists


@pytest.mark.parametrize("action", ["activate", "deactivate"])
def test_state_changes_over_get_are_refused(client, login, action):
    target = UserFactory()
    login("superuser")
    response = client.get(reverse(f"users:{action}", args=[target.pk]))
    assert response.status_code == 405


@pytest.mark.parametrize(
    "path", ["/users/999999/", "/users/999999/edit/", "/users/99999999999999999999999/"]
)
def test_missing_user_is_a_404_page(client, login, path):
    login("superuser")
    response = client.get(path)
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_inactive_staff_is_refused(client, login):
    staff = login("viewer")
    User.objects.filter(pk=staff.pk).update(is_active=False)
    response = client.get(reverse("users:list"))
    assert response.status_code in (302, 403)
