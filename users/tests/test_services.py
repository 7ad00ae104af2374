import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from users import services
from users.models import User

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def create(**overrides):
    fields = {"username": "ada", "email": "ada@example.com", "full_name": "Ada"}
    return services.user_create(**(fields | overrides))


def test_create_normalises_and_hashes():
    user = create(
        username=" ada ",
        email=" Ada@EXAMPLE.COM ",
        full_name="  Ada   Lovelace ",
        password="s3cret-enough",
    )
    user.refresh_from_db()
    assert (user.username, user.email, user.full_name) == (
        "ada",
        "Ada@example.com",
        "Ada Lovelace",
    )
    assert user.check_password("s3cret-enough")
    assert user.password != "s3cret-enough"


def test_create_without_password_cannot_log_in():
    assert not create().has_usable_password()


@pytest.mark.parametrize(
    ("field", "value"),
    [("email", "ADA@example.com"), ("username", "ADA")],
)
def test_duplicate_in_any_case_is_a_field_error(field, value):
    create()
    with pytest.raises(ValidationError) as caught:
        create(**{"username": "other", "email": "other@example.com", field: value})
    assert list(caught.value.message_dict) == [field]
    assert User.objects.count() == 1


def test_update_to_a_duplicate_is_a_field_error():
    create()
    other = create(username="grace", email="grace@example.com")
    with pytest.raises(ValidationError) as caught:
        services.user_update(user=other, email="ADA@EXAMPLE.com")
    assert "email" in caught.value.message_dict
    other.refresh_from_db()
    assert other.email == "grace@example.com"


def test_duplicate_that_races_past_validation_is_a_field_error(monkeypatch):
    create()
    # Another request inserted the same email after this one validated.
    monkeypatch.setattr(User, "validate_constraints", lambda self, exclude=None: None)
    with pytest.raises(ValidationError) as caught:
        create(username="other", email="Ada@Example.com")
    assert list(caught.value.message_dict) == ["email"]
    assert User.objects.count() == 1


def test_database_refuses_case_duplicate_when_services_are_bypassed():
    create()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(username="x", email="ADA@EXAMPLE.COM")])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("email", "a" * 250 + "@example.com"),
        ("email", "nul\x00@example.com"),
        ("username", ""),
        ("username", "two words"),
        ("username", "u" * 151),
        ("username", "nul\x00byte"),
        ("full_name", "x" * 256),
        ("full_name", "Ada\x00Lovelace"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(field, value):
    with pytest.raises(ValidationError) as caught:
        create(**{field: value})
    assert field in caught.value.message_dict
    assert not User.objects.exists()


def test_update_rejects_unknown_fields():
    user = UserFactory()
    with pytest.raises(TypeError):
        services.user_update(user=user, password="plain")


def test_update_keeps_created_at_and_moves_updated_at():
    user = UserFactory()
    created, updated = user.created_at, user.updated_at
    services.user_update(user=user, full_name="New Name")
    user.refresh_from_db()
    assert user.full_name == "New Name"
    assert user.created_at == created
    assert user.updated_at > updated


def test_activate_and_deactivate_are_idempotent():
    user = UserFactory()
    assert services.user_deactivate(user=user) is user
    stamp = User.objects.get(pk=user.pk).updated_at
    services.user_deactivate(user=user)
    assert User.objects.get(pk=user.pk).updated_at == stamp
    assert not User.objects.get(pk=user.pk).is_active
    services.user_activate(user=user)
    services.user_activate(user=user)
    assert User.objects.get(pk=user.pk).is_active


def test_set_password_and_make_unusable():
    user = UserFactory()
    services.user_set_password(user=user, password="n3w-passw0rd")
    assert User.objects.get(pk=user.pk).check_password("n3w-passw0rd")
    services.user_set_password(user=user, password=None)
    assert not User.objects.get(pk=user.pk).has_usable_password()


def test_delete():
    user = UserFactory()
    services.user_delete(user=user)
    assert not User.objects.filter(pk=user.pk).exists()
