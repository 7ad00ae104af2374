"""The async twins: queries on Django's async ORM, services through the one
write path, and Django's own async paths (acreate_user, aauthenticate,
aget_by_natural_key) behaving exactly like their sync forms.

Run with asgiref's async_to_sync, as Django's own tests do: the ORM's
thread-sensitive calls come back to the test's thread, so each test keeps its
usual transaction."""

import asyncio
from contextlib import contextmanager

import pytest
from asgiref.sync import async_to_sync
from axes.models import AccessAttempt
from django.contrib.auth import aauthenticate, authenticate
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import RequestFactory

from users import services
from users.audit import context
from users.models import AuditEvent, User
from users.pagination import (
    aiter_keyset,
    akeyset_page,
    aresult_count,
    keyset_page,
    result_count,
)

from .factories import PASSWORD, StaffFactory, SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db


def run(coroutine_function, *args, **kwargs):
    # Wrapped: a manager's a-methods are plain functions returning coroutines.
    async def call():
        return await coroutine_function(*args, **kwargs)

    return async_to_sync(call)()


def login_request(ip: str = "198.51.100.7"):
    # django-axes needs the request to know the client's address.
    return RequestFactory().post("/accounts/login/", REMOTE_ADDR=ip)


# --- queries -------------------------------------------------------------------


def test_async_lookups_ignore_case_like_the_sync_ones():
    ada = UserFactory(username="Ada.L", email="Ada@Example.com")
    for email in ["ada@example.com", "ADA@EXAMPLE.COM", " Ada@example.com "]:
        assert run(User.objects.aget_by_email, email) == ada
    for username in ["ada.l", "ADA.L"]:
        assert run(User.objects.aget_by_username, username) == ada
    assert run(User.objects.aget_by_login, "ADA@example.com") == ada
    assert run(User.objects.aget_by_login, "Ada.l") == ada
    assert run(User.objects.aget_by_email, "nobody@example.com") is None
    assert run(User.objects.aget_or_none, pk=ada.pk) == ada
    assert run(User.objects.aget_or_none, pk=ada.pk + 1000) is None


def test_async_lookups_chain_after_filters():
    UserFactory(username="ada", is_active=False)
    assert run(User.objects.active().aget_by_username, "ADA") is None
    assert run(User.objects.inactive().aget_by_username, "ADA") is not None


def test_async_listing_matches_the_sync_one():
    UserFactory.create_batch(7, is_active=True)
    UserFactory.create_batch(2, is_active=False)
    assert run(User.objects.alisting, skip=2, limit=3) == User.objects.listing(
        skip=2, limit=3
    )
    assert run(User.objects.alisting, is_active=False) == list(User.objects.inactive())
    with pytest.raises(ValueError, match="negative"):
        run(User.objects.alisting, skip=-1)


def test_async_keyset_pages_match_the_sync_ones():
    UserFactory.create_batch(7)
    users = User.objects.all()
    sync_first = keyset_page(users, ordering="username", per_page=3, token=None)
    first = run(akeyset_page, users, ordering="username", per_page=3, token=None)
    assert first == sync_first
    second = run(
        akeyset_page, users, ordering="username", per_page=3, token=first.next_token
    )
    assert second == keyset_page(
        users, ordering="username", per_page=3, token=first.next_token
    )
    back = run(
        akeyset_page,
        users,
        ordering="username",
        per_page=3,
        token=second.previous_token,
    )
    assert back.rows == first.rows


def test_an_async_page_after_a_deleted_row_restarts():
    UserFactory.create_batch(4)
    users = User.objects.all()
    first = keyset_page(users, ordering="email", per_page=2, token=None)
    first.rows[-1].delete()
    page = run(
        akeyset_page, users, ordering="email", per_page=2, token=first.next_token
    )
    assert page.restarted
    assert page.rows == list(users.sorted_by("email")[:2])


def test_the_async_iterator_walks_every_row_once_in_order():
    UserFactory.create_batch(11)
    users = User.objects.all()

    async def walk():
        return [u async for u in aiter_keyset(users, ordering="-email", batch_size=4)]

    assert run(walk) == list(users.sorted_by("-email"))


def test_async_counts_match_the_sync_ones(django_assert_max_num_queries):
    UserFactory.create_batch(3, is_active=False)
    UserFactory.create_batch(2)
    assert run(User.objects.acount_up_to, 2) == 3
    assert run(User.objects.inactive().acount_up_to, 10) == 3
    for users, filtered in [(User.objects.all(), False), (User.objects.active(), True)]:
        with django_assert_max_num_queries(2):
            counted = run(aresult_count, users, filtered=filtered)
        assert counted == result_count(users, filtered=filtered)
    estimate = run(User.objects.aestimated_count)
    assert estimate == User.objects.estimated_count()


# --- Django's own async paths --------------------------------------------------


def test_acreate_user_validates_and_is_audited():
    user = run(User.objects.acreate_user, "Zoe", "Zoe@Example.COM", PASSWORD)
    assert user.email == "Zoe@example.com"
    assert user.check_password(PASSWORD)
    event = AuditEvent.objects.get(target_id=user.pk)
    assert event.action == "create" and event.actor_label == "system"
    with pytest.raises(ValidationError) as refused:
        run(User.objects.acreate_user, "ZOE", "other@example.com", PASSWORD)
    assert "username" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        run(User.objects.acreate_user, "bad name!", "bad@example.com", PASSWORD)
    assert "username" in refused.value.message_dict
    assert User.objects.count() == 1


def test_acreate_superuser_takes_the_same_path():
    root = run(User.objects.acreate_superuser, "root", "root@example.com", PASSWORD)
    assert root.is_superuser and root.is_staff
    assert AuditEvent.objects.filter(target_id=root.pk, action="create").exists()


def test_aget_by_natural_key_ignores_case():
    ada = UserFactory(username="Ada")
    assert run(User.objects.aget_by_natural_key, "ADA") == ada
    assert User.objects.get_by_natural_key("ada") == ada
    with pytest.raises(User.DoesNotExist):
        run(User.objects.aget_by_natural_key, "nobody")


@pytest.mark.parametrize("login", ["Ada.L", "ada.l", "ADA@example.com"])
def test_aauthenticate_logs_in_like_authenticate(login):
    ada = UserFactory(username="Ada.L", email="Ada@example.com")
    user = run(aauthenticate, login_request(), username=login, password=PASSWORD)
    assert user == ada
    assert user.backend == "users.backends.UsernameOrEmailBackend"
    assert authenticate(login_request(), username=login, password=PASSWORD) == ada


def test_aauthenticate_refuses_wrong_passwords_and_inactive_accounts():
    UserFactory(username="ada")
    UserFactory(username="bea", is_active=False)
    assert run(aauthenticate, login_request(), username="ada", password="x") is None
    assert (
        run(aauthenticate, login_request(), username="bea", password=PASSWORD) is None
    )
    assert run(aauthenticate, login_request(), username="cy", password=PASSWORD) is None


def test_aauthenticate_failures_count_and_a_lockout_holds(settings):
    ada = UserFactory(username="ada")
    ip = "198.51.100.9"
    for _ in range(settings.AXES_FAILURE_LIMIT):
        assert (
            run(aauthenticate, login_request(ip), username="ADA", password="wrong")
            is None
        )
    key = f"user:{ada.pk}"
    failures = AccessAttempt.objects.get(username=key, ip_address=ip)
    assert failures.failures_since_start == settings.AXES_FAILURE_LIMIT
    # Locked out: the right password is refused too, async and sync alike.
    request = login_request(ip)
    assert run(aauthenticate, request, username="ada", password=PASSWORD) is None
    assert request.axes_locked_out
    assert authenticate(login_request(ip), username="ada", password=PASSWORD) is None
    # Another address is not locked out.
    other = login_request("203.0.113.4")
    assert run(aauthenticate, other, username="ada", password=PASSWORD) == ada


# --- services --------------------------------------------------------------------


def test_async_services_write_through_the_rules_and_the_trail():
    boss = staff_with("add_user", "change_user", "delete_user", "view_user")
    user = run(
        services.auser_create,
        actor=boss,
        username="Zoe",
        email="zoe@example.com",
        password=PASSWORD,
    )
    run(services.auser_update, actor=boss, user=user, full_name="Zoë Z")
    run(services.auser_deactivate, actor=boss, user=user)
    run(services.auser_activate, actor=boss, user=user)
    run(services.auser_set_password, actor=boss, user=user, password=None)
    actions = list(
        AuditEvent.objects.filter(target_id=user.pk)
        .order_by("id")
        .values_list("action", "actor_id")
    )
    assert actions == [
        ("create", boss.pk),
        ("update", boss.pk),
        ("deactivate", boss.pk),
        ("activate", boss.pk),
        ("password", boss.pk),
    ]
    run(services.auser_delete, actor=boss, user=user)
    assert not User.objects.filter(pk=user.pk).exists()
    assert AuditEvent.objects.filter(target_id=user.pk, action="delete").exists()


def test_async_services_refuse_what_the_rules_refuse():
    helper = staff_with("change_user", "view_user")
    root = SuperuserFactory()
    with pytest.raises(PermissionDenied):
        run(services.auser_deactivate, actor=helper, user=root)
    with pytest.raises(PermissionDenied):
        run(services.auser_create, actor=helper, username="x", email="x@example.com")
    root.refresh_from_db()
    assert root.is_active
    assert not AuditEvent.objects.exists()


def test_async_services_validate():
    root = SuperuserFactory()
    UserFactory(username="taken")
    with pytest.raises(ValidationError) as refused:
        run(services.auser_create, actor=root, username="TAKEN", email="t@example.com")
    assert "username" in refused.value.message_dict


@contextmanager
def acting_as(user):
    """What RequestContextMiddleware does for a request: lend its user to the
    services (users.audit.context) in this task's context, for the request's length."""
    request = RequestFactory().get("/")
    request.user = user
    token = context._request.set(request)
    try:
        yield
    finally:
        context._request.reset(token)


def test_from_request_finds_the_requests_user_across_the_thread():
    boss = staff_with("change_user", "view_user")
    target = UserFactory()

    async def as_boss():
        with acting_as(boss):
            await services.auser_update(user=target, full_name="Changed")

    run(as_boss)
    event = AuditEvent.objects.get(target_id=target.pk)
    assert (event.actor_id, event.actor_label) == (boss.pk, boss.username)


def test_from_request_outside_a_request_is_the_system():
    target = UserFactory()
    run(services.auser_update, user=target, full_name="Changed")
    event = AuditEvent.objects.get(target_id=target.pk)
    assert (event.actor_id, event.actor_label) == (None, "system")


def test_concurrent_tasks_each_act_as_their_own_request():
    first, second = (
        staff_with("change_user", "view_user", username=name) for name in ("a1", "a2")
    )
    targets = UserFactory.create_batch(2)

    async def request_of(actor, target):
        with acting_as(actor):
            await asyncio.sleep(0)  # let the other task set its actor meanwhile
            await services.auser_update(user=target, full_name=f"by {actor.username}")

    async def both():
        await asyncio.gather(
            request_of(first, targets[0]), request_of(second, targets[1])
        )

    run(both)
    for actor, target in zip((first, second), targets, strict=True):
        assert AuditEvent.objects.get(target_id=target.pk).actor_id == actor.pk


def test_a_lesser_requests_user_is_judged_as_itself():
    root = SuperuserFactory()
    nobody = StaffFactory()

    async def as_nobody():
        with acting_as(nobody):
            await services.auser_deactivate(user=root)

    with pytest.raises(PermissionDenied):
        run(as_nobody)
