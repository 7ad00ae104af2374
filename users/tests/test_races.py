"""Concurrent writes on PostgreSQL: rows locked in one order, rules checked on
locked rows (findings 3 and 7). Threads, real transactions."""

import threading
from functools import partial

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse

from users import services
from users.models import AuditEvent, User

from .factories import SuperuserFactory, UserFactory, staff_with
from .markers import postgres_only

pytestmark = [postgres_only, pytest.mark.django_db(transaction=True)]
ROUNDS = 8


def race(*calls):
    """Run the calls at once; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    outcomes = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # the outcome under test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_the_last_two_superusers_deactivating_each_other_neither_deadlock():
    for _ in range(ROUNDS):
        User.objects.all().delete()
        first, second = SuperuserFactory(), SuperuserFactory()
        outcomes = race(
            partial(services.user_deactivate, actor=first, user=second),
            partial(services.user_deactivate, actor=second, user=first),
        )
        refused = [o for o in outcomes if isinstance(o, PermissionDenied)]
        assert len(refused) == 1, outcomes
        assert User.objects.active().superusers().count() == 1


def test_two_deletes_of_one_user_one_wins_and_one_is_told():
    for _ in range(ROUNDS):
        root = SuperuserFactory()
        target = UserFactory()
        outcomes = race(
            partial(services.user_delete, actor=root, user=target),
            partial(services.user_delete, actor=root, user=target),
        )
        assert sorted(type(o).__name__ for o in outcomes) == ["NoneType", "UserGone"]
        assert not User.objects.filter(pk=target.pk).exists()


def test_a_password_set_never_lands_on_a_freshly_promoted_superuser():
    for _ in range(ROUNDS):
        root = SuperuserFactory()
        changer = staff_with("view_user", "change_user")
        target = UserFactory()
        race(
            partial(
                services.user_update,
                actor=root,
                user=target,
                is_staff=True,
                is_superuser=True,
            ),
            partial(
                services.user_set_password,
                actor=changer,
                user=target,
                password="taken-over-4821",
            ),
        )
        target.refresh_from_db()
        events = list(AuditEvent.objects.about(target).order_by("id"))
        actions = [e.action for e in events]
        if target.check_password("taken-over-4821"):
            # Allowed only if it happened before the promotion committed.
            assert actions.index("password") < actions.index("update"), actions


def test_a_second_delete_page_post_is_a_404_not_a_500(client):
    client.force_login(SuperuserFactory())
    SuperuserFactory()
    target = UserFactory()
    url = reverse("users:delete", args=[target.pk])
    assert client.post(url).status_code == 302
    assert client.post(url).status_code == 404
