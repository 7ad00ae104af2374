"""Property tests: whatever is typed into the user forms, they never raise.

Valid input saves through the services; invalid input gives field errors and
writes nothing.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from users import services
from users.models import User
from users.web.forms import UserCreateForm, UserForm

from .factories import SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db
PROPERTY_SETTINGS = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Any text, biased towards what user fields contain (and what breaks them).
texts = st.one_of(
    st.text(max_size=300),
    st.from_regex(r"[A-Za-z0-9.@+_-]{1,40}", fullmatch=True),
    st.emails().map(str),
    st.sampled_from(["", " ", "\x00", "a\u200bb", "<b>", "ADMIN", "a@b", "é" * 151]),
)


@pytest.fixture
def actor():
    return SuperuserFactory(username="actor")


@PROPERTY_SETTINGS
@given(username=texts, email=texts, full_name=texts)
def test_create_form_saves_or_explains(actor, username, email, full_name):
    before = User.objects.count()
    form = UserCreateForm(
        {
            "username": username,
            "email": email,
            "full_name": full_name,
            "is_active": "on",
        },
        actor=actor,
    )
    if form.is_valid():
        user = services.user_create(actor=actor, **form.fields_for_service())
        assert User.objects.count() == before + 1
        user.delete()
    else:
        assert form.errors
        assert set(form.errors) <= set(form.fields) | {"__all__"}
        assert User.objects.count() == before


@PROPERTY_SETTINGS
@given(username=texts, email=texts, full_name=texts)
def test_edit_form_saves_or_explains(actor, username, email, full_name):
    target = User.objects.get_by_username("target") or UserFactory(
        username="target", email="target@example.com"
    )
    stored = (target.username, target.email, target.full_name)
    form = UserForm(
        {
            "username": username,
            "email": email,
            "full_name": full_name,
            "is_active": "on",
            "version": target.updated_at.isoformat(),
        },
        instance=target,
        actor=actor,
    )
    if form.is_valid():
        saved = services.user_update(
            actor=actor, user=User.objects.get(pk=target.pk), **form.changes()
        )
        assert saved.username == form.cleaned_data["username"]
        services.user_update(
            actor=actor,
            user=saved,
            username=stored[0],
            email=stored[1],
            full_name=stored[2],
        )
    else:
        assert form.errors
        target.refresh_from_db()
        assert (target.username, target.email, target.full_name) == stored
