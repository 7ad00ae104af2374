"""Two staff editing one user: the stale save is refused and the first survives."""

import re

import pytest
from django.urls import reverse

from users import services

from .factories import SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db


def version_in(html: str) -> str:
    return re.search(r'name="version" value="([^"]+)"', html).group(1)


def test_stale_html_edit_is_refused_with_what_changed(superuser_client):
    target = UserFactory(full_name="Original")
    url = reverse("users:edit", args=[target.pk])
    version = version_in(superuser_client.get(url).content.decode())
    services.user_update(
        actor=SuperuserFactory(username="alice"), user=target, full_name="Alice's"
    )
    data = {
        "username": target.username,
        "email": target.email,
        "full_name": "Mine",
        "is_active": "on",
        "version": version,
    }
    response = superuser_client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Someone else changed this user" in html
    assert "alice updated" in html and "Alice&#x27;s" in html
    target.refresh_from_db()
    assert target.full_name == "Alice's"
    # Saving again, now knowingly, applies the edit.
    data["version"] = version_in(html)
    assert superuser_client.post(url, data).status_code == 302
    target.refresh_from_db()
    assert target.full_name == "Mine"


def test_stale_admin_edit_is_refused(superuser_client):
    target = UserFactory(full_name="Original")
    url = reverse("admin:users_user_change", args=[target.pk])
    version = version_in(superuser_client.get(url).content.decode())
    services.user_deactivate(user=target)
    response = superuser_client.post(
        url,
        {
            "username": target.username,
            "email": target.email,
            "full_name": "Mine",
            "is_active": "on",
            "version": version,
        },
    )
    assert response.status_code == 200
    assert "Someone else changed this user" in response.content.decode()
    target.refresh_from_db()
    assert (target.full_name, target.is_active) == ("Original", False)


def test_a_tampered_version_is_a_form_error(superuser_client):
    target = UserFactory()
    response = superuser_client.post(
        reverse("users:edit", args=[target.pk]),
        {"username": target.username, "email": target.email, "version": "garbage"},
    )
    assert "This form is out of date" in response.content.decode()
