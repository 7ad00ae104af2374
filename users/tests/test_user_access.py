"""Groups and permissions on a user's page, and the page that changes them:
shown for people, changed through the services, only what the actor holds."""

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django.urls import reverse

from users.models import AuditEvent, User

from .factories import SuperuserFactory, UserFactory, staff_with
from .test_hostile_input import MARKUP, values_for

pytestmark = pytest.mark.django_db


def perm(codename: str) -> Permission:
    return Permission.objects.get(codename=codename)


def access_url(user: User) -> str:
    return reverse("users:access", args=[user.pk])


def detail_url(user: User) -> str:
    return reverse("users:detail", args=[user.pk])


def group_with(name: str, *codenames: str) -> Group:
    group = Group.objects.create(name=name)
    group.permissions.set(Permission.objects.filter(codename__in=codenames))
    return group


def test_the_page_shows_groups_and_permissions_by_name(client, login):
    login("superuser")
    target = staff_with("view_user")
    target.groups.add(group_with("Support", "view_user", "change_user"))
    html = client.get(detail_url(target)).content.decode()
    assert "Groups and permissions" in html
    assert "Support" in html
    assert '<span class="app-name">Users:</span> Can view user' in html
    # What they can do: the group's and their own, each once, by name.
    assert "Can change user" in html and "users.change_user" not in html
    assert html.count("Can view user") == 2  # given directly, and in the summary
    assert access_url(target) in html


def test_a_superusers_page_says_everything(client, login):
    login("superuser")
    html = client.get(detail_url(SuperuserFactory())).content.decode()
    assert "Everything: a superuser holds every permission" in html


def test_a_superuser_gives_groups_and_permissions(client, login):
    login("superuser")
    target = UserFactory()
    support = group_with("Support", "view_user")
    response = client.post(
        access_url(target),
        {"groups": [support.pk], "user_permissions": [perm("add_group").pk]},
    )
    assert response.status_code == 302
    assert response["Location"] == detail_url(target)
    assert list(target.groups.all()) == [support]
    assert list(target.user_permissions.all()) == [perm("add_group")]
    event = AuditEvent.objects.about(target).first()
    assert event.action == AuditEvent.Action.GRANT
    html = client.get(detail_url(target)).content.decode()
    assert "Saved the groups and permissions of" in html
    assert "Groups: added Support" in html


def test_nothing_changed_is_said_and_nothing_recorded(client, login):
    login("superuser")
    target = UserFactory()
    events = AuditEvent.objects.count()
    response = client.post(access_url(target), {}, follow=True)
    assert "Nothing changed." in response.content.decode()
    assert AuditEvent.objects.count() == events


def test_staff_give_only_what_they_hold(client):
    actor = staff_with("view_user", "change_user")
    client.force_login(actor)
    target = UserFactory()
    theirs = group_with("Viewers", "view_user")
    beyond = group_with("Deleters", "view_user", "delete_user")
    page = client.get(access_url(target))
    widget = page.context["form"]["groups"]
    html = page.content.decode()
    assert "Greyed out: what you do not have yourself" in html
    # The group carrying a permission the actor lacks cannot be ticked.
    assert f'value="{beyond.pk}"' in str(widget)
    assert "disabled" in str(widget).split(f'value="{beyond.pk}"')[1].split(">")[0]
    assert "disabled" not in str(widget).split(f'value="{theirs.pk}"')[1].split(">")[0]

    response = client.post(access_url(target), {"groups": [theirs.pk]})
    assert response.status_code == 302
    assert list(target.groups.all()) == [theirs]
    response = client.post(
        access_url(target), {"user_permissions": [perm("change_user").pk]}
    )
    assert response.status_code == 302
    assert list(target.user_permissions.all()) == [perm("change_user")]


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        # Hand-made POSTs: what the page never offers.
        ({"groups": "BEYOND"}, "groups", "You cannot give the group “Deleters”"),
        ({"user_permissions": "DELETE"}, "user_permissions", "“Can delete user”"),
        ({"user_permissions": "999999"}, "user_permissions", "Select a valid choice"),
        ({"groups": "999999"}, "groups", "Select a valid choice"),
        ({"groups": "staff"}, "groups", "is not a valid value"),
        ({"user_permissions": "1 OR 1=1"}, "user_permissions", "is not a valid value"),
        ({"user_permissions": "-1"}, "user_permissions", "Select a valid choice"),
    ],
)
def test_refused_grants_are_field_errors_with_the_reason(client, data, field, message):
    client.force_login(staff_with("view_user", "change_user"))
    target = UserFactory()
    beyond = group_with("Deleters", "view_user", "delete_user")
    value = {"BEYOND": str(beyond.pk), "DELETE": str(perm("delete_user").pk)}
    data = {name: value.get(v, v) for name, v in data.items()}
    events = AuditEvent.objects.count()
    response = client.post(access_url(target), data)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in html
    assert not target.groups.exists() and not target.user_permissions.exists()
    assert AuditEvent.objects.count() == events


def test_staff_cannot_open_or_post_for_an_account_above_them(client):
    client.force_login(staff_with("view_user", "change_user"))
    above = staff_with("view_user", "change_user", "delete_user")
    response = client.get(access_url(above))
    assert response.status_code == 302 and response["Location"] == detail_url(above)
    response = client.post(access_url(above), {"groups": []}, follow=True)
    assert "holds permissions you do not have" in response.content.decode()
    html = client.get(detail_url(above)).content.decode()
    assert access_url(above) not in html
    assert above.user_permissions.count() == 3


def test_removing_a_grant_ends_the_accounts_sessions(client, login):
    login("superuser")
    target = staff_with("view_user")
    elsewhere = Client()
    elsewhere.force_login(target)
    client.post(access_url(target), {"user_permissions": []})
    assert not target.user_permissions.exists()
    assert elsewhere.get(reverse("users:list")).status_code == 302


def test_viewers_see_no_change_link(client, login):
    login("viewer")
    target = UserFactory()
    assert access_url(target) not in client.get(detail_url(target)).content.decode()


@pytest.mark.parametrize("field", ["groups", "user_permissions"])
def test_hostile_values(field):
    client = Client(raise_request_exception=False)
    actor = staff_with("view_user", "change_user")
    client.force_login(actor)
    target = UserFactory()
    for value in values_for(f"access:{field}"):
        response = client.post(access_url(target), {field: value})
        assert response.status_code in (200, 302, 400), value[:60]
        assert MARKUP not in response.content.decode(), value[:60]
    # The full corpus holds small numbers, which may name a permission the
    # actor holds: giving that is allowed. Nothing beyond it, and no group.
    target = User.objects.get(pk=target.pk)
    assert not target.groups.exists()
    assert target.get_all_permissions() <= actor.get_all_permissions()


def test_detail_page_query_budget(client, django_assert_max_num_queries):
    root = SuperuserFactory()
    client.force_login(root)
    target = staff_with("view_user", "change_user")
    target.groups.add(group_with("Support", "view_user", "add_group"))
    for n in range(30):
        AuditEvent.objects.create(
            action=AuditEvent.Action.UPDATE,
            actor_label="ana",
            target_id=target.pk,
            changes={"full_name": [f"n{n}", f"n{n + 1}"]},
        )
    client.get(detail_url(target))  # refreshes the session expiry
    # Session, actor, target, second factors, sessions, offered actions (the
    # hierarchy once), groups, permissions, the latest events and their count.
    with django_assert_max_num_queries(13):
        response = client.get(detail_url(target))
    assert "See all 30 events" in response.content.decode()
