"""An account's history: the latest events on its page, every event keyset-paged
at /users/<id>/history/, and the admin's trail filtered to it."""

from datetime import timedelta

import pytest
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from users.models import AuditEvent, User
from users.pagination import SALT, make_token

from .factories import SuperuserFactory, UserFactory
from .test_hostile_input import MARKUP, values_for

pytestmark = pytest.mark.django_db


def history_url(user: User) -> str:
    return reverse("users:history", args=[user.pk])


def with_events(user: User, count: int, *, same_moment: bool = False) -> None:
    """count events, numbered 0 (oldest) up in their details."""
    start = timezone.now() - timedelta(days=1)
    AuditEvent.objects.bulk_create(
        AuditEvent(
            at=start if same_moment else start + timedelta(seconds=n),
            action=AuditEvent.Action.UPDATE,
            actor_label="ana",
            target_id=user.pk,
            target_label=user.username,
            changes={"full_name": [f"n{n}", f"event {n}."]},
        )
        for n in range(count)
    )


def numbers_on(response) -> list[int]:
    return [
        int(entry.text.details[0].rsplit(" ", 1)[1].rstrip("."))
        for entry in response.context["history"]
    ]


def test_the_users_page_shows_ten_and_links_to_all(superuser_client):
    target = UserFactory()
    with_events(target, 12)
    response = superuser_client.get(reverse("users:detail", args=[target.pk]))
    assert numbers_on(response) == list(range(11, 1, -1))
    html = response.content.decode()
    assert "See all 12 events" in html and history_url(target) in html


def test_few_events_need_no_link(superuser_client):
    target = UserFactory()
    with_events(target, 10)
    html = superuser_client.get(reverse("users:detail", args=[target.pk])).content
    assert history_url(target).encode() not in html


@pytest.mark.parametrize("same_moment", [False, True])
def test_paging_through_every_event_and_back(superuser_client, same_moment):
    target = UserFactory()
    with_events(target, 120, same_moment=same_moment)
    with_events(UserFactory(), 5)  # someone else's: never shown here
    seen, response, pages = [], superuser_client.get(history_url(target)), []
    while True:
        pages.append(response)
        seen += numbers_on(response)
        token = response.context["page"].next_token
        if not token:
            break
        response = superuser_client.get(history_url(target), {"page": token})
    if not same_moment:
        assert seen == list(range(119, -1, -1))
    assert sorted(seen) == list(range(120)) and len(pages) == 3
    back = superuser_client.get(
        history_url(target), {"page": pages[-1].context["page"].previous_token}
    )
    assert numbers_on(back) == numbers_on(pages[1])
    html = pages[1].content.decode()
    assert 'rel="next"' in html and 'rel="prev"' in html


def test_tokens_carry_no_personal_data(superuser_client):
    target = UserFactory(email="secret@example.com")
    with_events(target, 60)
    token = superuser_client.get(history_url(target)).context["page"].next_token
    direction, ordering, pk = signing.loads(token, salt=SALT)
    assert (direction, ordering) == ("after", "history") and isinstance(pk, int)
    assert "secret" not in token and target.username not in token


@pytest.mark.parametrize(
    "page",
    ["garbage", "a" * 301, "x\x00y", "after:1"],
)
def test_bad_page_links_are_a_400_page(superuser_client, page):
    target = UserFactory()
    response = superuser_client.get(history_url(target), {"page": page})
    assert response.status_code == 400
    assert "That request does not make sense" in response.content.decode()


def test_a_list_token_does_not_open_a_history_page(superuser_client):
    target = UserFactory()
    token = make_token("after", "-created_at", target)
    response = superuser_client.get(history_url(target), {"page": token})
    assert response.status_code == 400
    assert "another sort order" in response.content.decode()


def test_another_accounts_event_starts_again(superuser_client):
    target, other = UserFactory(), UserFactory()
    with_events(target, 3)
    with_events(other, 3)
    foreign = AuditEvent.objects.about(other).first()
    token = signing.dumps(["after", "history", foreign.pk], salt=SALT)
    response = superuser_client.get(history_url(target), {"page": token})
    assert response.status_code == 200
    assert numbers_on(response) == [2, 1, 0]
    assert "starts again from the newest" in response.content.decode()


def test_hostile_page_values():
    client = Client(raise_request_exception=False)
    client.force_login(SuperuserFactory())
    target = UserFactory()
    for value in values_for("history:page"):
        response = client.get(history_url(target), {"page": value})
        assert response.status_code in (200, 400), value[:60]
        assert MARKUP not in response.content.decode(), value[:60]


def test_history_page_query_budget(client, login, django_assert_max_num_queries):
    login("viewer")
    target = UserFactory()
    with_events(target, 120)
    first = client.get(history_url(target))  # refreshes the session expiry
    token = first.context["page"].next_token
    # Session, actor, second factors, the actor's permissions (two), the
    # account, the boundary event, the page.
    with django_assert_max_num_queries(8):
        response = client.get(history_url(target), {"page": token})
    assert len(response.context["history"]) == 50


def test_the_admin_links_to_the_trail_of_one_account(superuser_client):
    target, other = UserFactory(username="bob"), UserFactory(username="eve")
    with_events(target, 2)
    with_events(other, 2)
    change = superuser_client.get(reverse("admin:users_user_change", args=[target.pk]))
    trail = reverse("admin:users_auditevent_changelist")
    link = f"{trail}?target_id={target.pk}"
    assert link in change.content.decode()
    response = superuser_client.get(link)
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>Changed by ana</strong><br>Full name: n1 → event 1." in html
    assert 'field-target_label">eve<' not in html


@pytest.mark.parametrize("value", ["abc", "-1", "1" * 40, "٣", "1\x00"])
def test_the_trail_refuses_a_bad_account_filter(superuser_client, value):
    trail = reverse("admin:users_auditevent_changelist")
    response = superuser_client.get(trail, {"target_id": value})
    assert response.status_code == 302 and response["Location"].endswith("?e=1")


def test_the_trail_link_is_only_for_those_who_may_read_it(client, login):
    login("changer")
    target = UserFactory()
    html = client.get(reverse("admin:users_user_change", args=[target.pk])).content
    assert b"?target_id=" not in html
