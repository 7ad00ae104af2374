"""The seed's example calls against the JSON API, in the seed's shapes."""

import pytest
from django.urls import reverse

from users.models import AuditEvent, User

from .api import bearer_client
from .factories import SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db
USER_FIELDS = {
    "id",
    "email",
    "username",
    "full_name",
    "is_active",
    "is_superuser",
    "created_at",
    "updated_at",
}


@pytest.fixture
def root():
    return SuperuserFactory(username="root")


@pytest.fixture
def api(root):
    return bearer_client(root)


def test_create_user_answers_201_with_the_user(api, root):
    response = api.post(
        "/api/users",
        {
            "email": "john@example.com",
            "username": "johndoe",
            "full_name": "John Doe",
            "password": "a-long-enough-passphrase",
        },
        content_type="application/json",
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == USER_FIELDS
    assert body["email"] == "john@example.com"
    assert body["is_active"] is True and body["is_superuser"] is False
    created = User.objects.get(pk=body["id"])
    assert created.check_password("a-long-enough-passphrase")
    event = AuditEvent.objects.get(action="create", target_id=created.pk)
    assert event.actor_id == root.pk  # the token's owner acted


def test_get_user_by_id(api):
    user = UserFactory(full_name="John Doe")
    response = api.get(f"/api/users/{user.pk}")
    assert response.status_code == 200
    assert response.json()["username"] == user.username
    assert set(response.json()) == USER_FIELDS


def test_unknown_user_is_404_user_not_found(api):
    response = api.get("/api/users/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


def test_list_with_skip_and_limit(api, root):
    UserFactory.create_batch(5)
    response = api.get("/api/users", {"skip": 2, "limit": 2})
    assert response.status_code == 200
    body = response.json()
    assert {"users", "total", "skip", "limit"} <= set(body)
    assert (body["skip"], body["limit"], body["total"]) == (2, 2, 6)
    assert body["total_is_estimate"] is False
    assert len(body["users"]) == 2
    everyone = [u["id"] for u in api.get("/api/users").json()["users"]]
    assert [u["id"] for u in body["users"]] == everyone[2:4]


def test_the_next_cursor_walks_the_whole_list(api):
    UserFactory.create_batch(6)
    seen, cursor = [], None
    for _ in range(10):
        params = {"limit": 3, "ordering": "username"}
        if cursor:
            params["cursor"] = cursor
        body = api.get("/api/users", params).json()
        seen += [u["username"] for u in body["users"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == sorted(User.objects.values_list("username", flat=True))


def test_skip_is_bounded_and_says_to_use_the_cursor(api):
    response = api.get("/api/users", {"skip": 10_001})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "skip"


def test_list_filters_and_sorts_through_the_list_parameters(api):
    UserFactory(username="zed", is_active=False)
    UserFactory(username="amy", is_active=False)
    UserFactory(username="bob")
    body = api.get("/api/users", {"is_active": "false", "ordering": "username"}).json()
    assert [u["username"] for u in body["users"]] == ["amy", "zed"]
    assert body["total"] == 2


def test_list_parameter_errors_are_422_with_field_messages(api):
    response = api.get(
        "/api/users", {"created_after": "2024-05-02", "created_before": "2024-05-01"}
    )
    assert response.status_code == 422
    (error,) = response.json()["detail"]
    assert error["loc"] == ["query", "created_before"]
    assert "on or after" in error["msg"]
    assert api.get("/api/users", {"cursor": "forged"}).status_code == 422


def test_get_user_by_email_ignores_case(api):
    user = UserFactory(email="john@example.com")
    response = api.get("/api/users/email/JOHN@Example.com")
    assert response.status_code == 200
    assert response.json()["id"] == user.pk
    missing = api.get("/api/users/email/nobody@example.com")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "User not found"}


def test_search_by_name(api):
    john = UserFactory(full_name="John Doe")
    UserFactory(full_name="Mary Major")
    response = api.get("/api/users/search", {"q": "john"})
    assert response.status_code == 200
    assert [u["id"] for u in response.json()["users"]] == [john.pk]
    assert api.get("/api/users/search").status_code == 422  # q is required


def test_deactivate_answers_message_and_user(api, root):
    user = UserFactory()
    response = api.post(f"/api/users/{user.pk}/deactivate")
    assert response.status_code == 200
    body = response.json()
    assert body["message"] == "User deactivated"
    assert body["user"]["id"] == user.pk and body["user"]["is_active"] is False
    assert set(body["user"]) == USER_FIELDS
    user.refresh_from_db()
    assert not user.is_active
    event = AuditEvent.objects.get(action="deactivate", target_id=user.pk)
    assert event.actor_id == root.pk
    again = api.post(f"/api/users/{user.pk}/deactivate")  # idempotent
    assert again.status_code == 200
    assert AuditEvent.objects.filter(action="deactivate").count() == 1


def test_activate(api):
    user = UserFactory(is_active=False)
    response = api.post(f"/api/users/{user.pk}/activate")
    assert response.json()["message"] == "User activated"
    assert response.json()["user"]["is_active"] is True


def test_patch_changes_only_the_fields_sent(api):
    user = UserFactory(full_name="Old Name", email="old@example.com")
    response = api.patch(
        f"/api/users/{user.pk}",
        {"full_name": "New Name"},
        content_type="application/json",
    )
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.full_name, user.email) == ("New Name", "old@example.com")
    event = AuditEvent.objects.get(action="update", target_id=user.pk)
    assert event.changes == {"full_name": ["Old Name", "New Name"]}


def test_patch_validation_errors_name_the_field(api):
    taken = UserFactory(email="taken@example.com")
    user = UserFactory()
    response = api.patch(
        f"/api/users/{user.pk}",
        {"email": "TAKEN@example.com"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "email"]
    assert taken.email == "taken@example.com"


def test_delete_answers_204(api):
    user = UserFactory()
    response = api.delete(f"/api/users/{user.pk}")
    assert response.status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert api.delete(f"/api/users/{user.pk}").status_code == 404


def test_create_refuses_a_weak_password_and_unknown_fields(api):
    weak = api.post(
        "/api/users",
        {"email": "a@example.com", "username": "a", "password": "123"},
        content_type="application/json",
    )
    assert weak.status_code == 422
    assert weak.json()["detail"][0]["loc"] == ["body", "password"]
    typo = api.post(
        "/api/users",
        {"email": "a@example.com", "username": "a", "is_superusr": True},
        content_type="application/json",
    )
    assert typo.status_code == 422
    assert not User.objects.filter(username="a").exists()


def test_openapi_and_docs_are_served(client):
    schema = client.get("/api/openapi.json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert {"/api/users", "/api/users/{user_id}", "/api/users/search"} <= set(paths)
    docs = client.get(reverse("api:openapi-view"))
    assert docs.status_code == 200
    assert b"/static/ninja/swagger-ui-bundle.js" in docs.content
    assert b"cdn" not in docs.content.lower()
