"""Two staff editing one user: the stale save is refused and the first survives."""

import re

import pytest
from django.urls import reverse

from users import services

from .factories import SuperuserFactory, UserFactory, edit_data

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
    assert "Changed by alice; Full name: Original → Alice&#x27;s" in html
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


def _resubmit(form) -> dict:
    """What the browser posts back from a redrawn form."""
    return dict(form.data.lists())


@pytest.mark.parametrize(
    "url_name", ["users:edit", "admin:users_user_change"], ids=["pages", "admin"]
)
def test_a_stale_save_merges_and_saving_again_keeps_their_change(
    superuser_client, url_name
):
    target = UserFactory(full_name="Original", email="old@example.com")
    url = reverse(url_name, args=[target.pk])
    mine = edit_data(target, full_name="Mine")  # the form as loaded, then edited
    services.user_update(actor=None, user=target, email="theirs@example.com")
    services.user_deactivate(actor=None, user=target)
    response = superuser_client.post(url, mine)
    assert response.status_code == 200
    form = (
        response.context["adminform"].form
        if "adminform" in response.context
        else response.context["form"]
    )
    assert form.data["email"] == "theirs@example.com"
    assert form.data["full_name"] == "Mine"
    assert "is_active" not in form.data  # their deactivation shows
    assert superuser_client.post(url, _resubmit(form)).status_code == 302
    target.refresh_from_db()
    assert (target.email, target.full_name, target.is_active) == (
        "theirs@example.com",
        "Mine",
        False,
    )


def test_a_field_both_changed_is_marked_and_keeps_the_editors_value(superuser_client):
    target = UserFactory(full_name="Original")
    url = reverse("users:edit", args=[target.pk])
    mine = edit_data(target, full_name="Mine")
    services.user_update(actor=None, user=target, full_name="Theirs")
    form = superuser_client.post(url, mine).context["form"]
    assert form.data["full_name"] == "Mine"
    assert "Also changed meanwhile, to 'Theirs'" in " ".join(form.errors["full_name"])


@pytest.mark.parametrize("version", [None, "", "2026-01-01T00:00:00+00:00", "x" * 500])
def test_a_post_without_a_valid_version_saves_nothing(superuser_client, version):
    target = UserFactory(full_name="Kept")
    data = edit_data(target, full_name="Changed")
    if version is None:
        del data["version"]
    else:
        data["version"] = version
    for url_name in ("users:edit", "admin:users_user_change"):
        response = superuser_client.post(reverse(url_name, args=[target.pk]), data)
        assert response.status_code == 200
        assert "This form is out of date" in response.content.decode()
    target.refresh_from_db()
    assert target.full_name == "Kept"
