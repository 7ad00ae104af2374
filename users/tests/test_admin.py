import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from users import services
from users.models import AuditEvent, User

from .factories import SuperuserFactory, UserFactory, edit_data, staff_with

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:users_user_changelist")


def test_changelist_search_uses_the_same_search(superuser_client):
    """Ours, not the stock admin's: a short term matches the start of a field
    (stock: anywhere), a complete email exactly (stock: as a substring)."""
    UserFactory(username="ada", full_name="Ada Lovelace", email="ada@example.com")
    UserFactory(username="alan", full_name="Alan Turing", email="alan@example.com")
    UserFactory(username="don", full_name="Donald Knuth", email="grenada@example.com")

    def found(term):
        response = superuser_client.get(CHANGELIST, {"q": term})
        return sorted(u.username for u in response.context["cl"].result_list)

    assert found("lovel") == ["ada"]
    assert found("al") == ["alan"]  # stock: alan and don (Donald)
    assert found("ada@example.com") == ["ada"]  # stock: ada and don (grenada@)


def test_changelist_filters(superuser_client):
    UserFactory(username="off", is_active=False)
    response = superuser_client.get(CHANGELIST, {"is_active__exact": "0"})
    assert [u.username for u in response.context["cl"].result_list] == ["off"]


def test_unfiltered_changelist_uses_the_estimate(superuser_client, monkeypatch):
    monkeypatch.setattr(type(User.objects), "estimated_count", lambda self: 1_234_567)
    UserFactory.create_batch(3)
    with CaptureQueriesContext(connection) as captured:
        response = superuser_client.get(CHANGELIST)
    assert response.context["cl"].result_count == 1_234_567
    assert not any("COUNT(" in q["sql"].upper() for q in captured.captured_queries)


@pytest.mark.parametrize(
    ("action", "start", "end"),
    [("deactivate_selected", True, False), ("activate_selected", False, True)],
)
def test_bulk_actions_go_through_the_services(superuser_client, action, start, end):
    users = UserFactory.create_batch(3, is_active=start)
    response = superuser_client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [u.pk for u in users]},
        follow=True,
    )
    assert all(User.objects.get(pk=u.pk).is_active is end for u in users)
    assert "3 user(s)" in response.content.decode()


def test_bulk_deactivate_refuses_the_actor(client):
    root = SuperuserFactory()
    other = UserFactory()
    client.force_login(root)
    response = client.post(
        CHANGELIST,
        {"action": "deactivate_selected", "_selected_action": [root.pk, other.pk]},
        follow=True,
    )
    assert "You cannot deactivate your own account." in response.content.decode()
    assert User.objects.get(pk=other.pk).is_active


def test_add_user_in_the_admin(superuser_client):
    response = superuser_client.post(
        reverse("admin:users_user_add"),
        {
            "username": "Grace",
            "email": "Grace@NAVY.mil",
            "full_name": "Grace Hopper",
            "usable_password": "true",
            "password1": "cobol-1959-compiler",
            "password2": "cobol-1959-compiler",
        },
    )
    assert response.status_code == 302
    grace = User.objects.get_by_username("grace")
    assert grace.email == "Grace@navy.mil"
    assert grace.check_password("cobol-1959-compiler")


def test_admin_add_refuses_a_case_duplicate(superuser_client):
    UserFactory(email="grace@navy.mil")
    response = superuser_client.post(
        reverse("admin:users_user_add"),
        {"username": "grace2", "email": "GRACE@navy.mil", "usable_password": "false"},
    )
    assert response.status_code == 200
    assert "A user with that email already exists." in response.content.decode()


def test_staff_cannot_escalate_in_the_admin(client):
    staff = staff_with("view_user", "change_user")
    target = UserFactory()
    client.force_login(staff)
    url = reverse("admin:users_user_change", args=[target.pk])
    response = client.post(
        url, edit_data(target, full_name="Changed", is_staff=True, is_superuser=True)
    )
    assert response.status_code == 302
    target.refresh_from_db()
    assert target.full_name == "Changed"
    assert not target.is_staff and not target.is_superuser


def test_staff_cannot_change_a_superuser_in_the_admin(client):
    staff = staff_with("view_user", "change_user")
    root = SuperuserFactory(full_name="Root")
    client.force_login(staff)
    url = reverse("admin:users_user_change", args=[root.pk])
    client.post(url, {"username": root.username, "email": root.email, "full_name": "X"})
    root.refresh_from_db()
    assert root.full_name == "Root"
    response = client.get(reverse("admin:auth_user_password_change", args=[root.pk]))
    assert response.status_code == 403


def test_admin_password_change_goes_through_the_services(superuser_client):
    target = UserFactory()
    url = reverse("admin:auth_user_password_change", args=[target.pk])
    response = superuser_client.post(
        url,
        {
            "usable_password": "true",
            "password1": "fresh-pass-4567",
            "password2": "fresh-pass-4567",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(pk=target.pk).check_password("fresh-pass-4567")


def test_admin_password_change_records_the_real_actor(client):
    """Fails if the admin bypasses the service or loses the actor ("system")."""
    changer = staff_with("view_user", "change_user")
    target = UserFactory()
    client.force_login(changer)
    client.post(
        reverse("admin:auth_user_password_change", args=[target.pk]),
        {
            "usable_password": "true",
            "password1": "fresh-4567",
            "password2": "fresh-4567",
        },
    )
    event = AuditEvent.objects.get(target_id=target.pk, action="password")
    assert event.actor_label == changer.username
    assert event.changes == {"password": [None, "set"]}


def test_admin_delete_refuses_self(client):
    root = SuperuserFactory()
    SuperuserFactory()
    client.force_login(root)
    response = client.post(
        reverse("admin:users_user_delete", args=[root.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert User.objects.filter(pk=root.pk).exists()


def test_admin_pages_stop_at_the_cap(superuser_client, monkeypatch):
    monkeypatch.setattr("users.pagination.MAX_ADMIN_PAGES", 1)
    UserFactory.create_batch(120)
    assert superuser_client.get(CHANGELIST).status_code == 200
    response = superuser_client.get(CHANGELIST, {"p": 2})
    assert response.status_code == 302
    assert "e=1" in response["Location"]


def test_a_late_refusal_in_the_admin_is_a_message_not_a_500(
    superuser_client, monkeypatch
):
    """The form passed; someone else took the email before the service saved."""
    target = UserFactory()
    real_update = services.user_update

    def someone_else_first(**kwargs):
        UserFactory(email="taken@example.com")
        return real_update(**kwargs)

    monkeypatch.setattr(services, "user_update", someone_else_first)
    url = reverse("admin:users_user_change", args=[target.pk])
    response = superuser_client.post(
        url, edit_data(target, email="taken@example.com"), follow=True
    )
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert "already exists" in response.content.decode()
    target.refresh_from_db()
    assert target.email != "taken@example.com"


def test_an_admin_selection_delete_is_all_or_nothing(client, monkeypatch):
    """The second account was promoted meanwhile: the service refuses it, and
    the first account, already deleted in the same request, comes back."""
    staff = staff_with("view_user", "delete_user")
    first, second = UserFactory(), UserFactory()
    real_delete, calls = services.user_delete, []

    def promoted_meanwhile(*, actor, user):
        calls.append(user.pk)
        if len(calls) == 2:
            User.objects.filter(pk=user.pk).update(is_staff=True, is_superuser=True)
        return real_delete(actor=actor, user=user)

    monkeypatch.setattr(services, "user_delete", promoted_meanwhile)
    client.force_login(staff)
    response = client.post(
        CHANGELIST,
        {
            "action": "delete_selected",
            "_selected_action": [first.pk, second.pk],
            "post": "yes",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert len(calls) == 2
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    assert User.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.DELETE).exists()
