"""Bulk actions from the list, through the client: the confirmation page, the
action, the result page and its Undo, refusals and hostile selections."""

import csv
import io
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from users.models import AuditEvent, User

from .factories import SuperuserFactory, UserFactory, staff_with
from .tampering import triggers_off
from .test_hostile_input import MARKUP, values_for

pytestmark = pytest.mark.django_db
BULK = reverse("users:bulk")
LIST = reverse("users:list")
Action = AuditEvent.Action


@pytest.fixture
def root(client):
    user = SuperuserFactory(username="root")
    client.force_login(user)
    return user


@pytest.fixture
def lina():
    return [
        UserFactory(username=f"lina{n}", full_name=f"Lina Test{n}") for n in range(5)
    ]


def post(client, action, *, ids=(), scope="ticked", query="q=lina", **extra):
    data = {"action": action, "scope": scope, "query": query, "id": list(ids)}
    return client.post(BULK, data | extra)


def confirm(client, action, **kwargs):
    """Post the list's form, then the confirmation page's form as drawn."""
    page = post(client, action, **kwargs)
    assert page.status_code == 200, page.content.decode()[:500]
    count = page.context["count"]
    scope = "matching" if kwargs.get("scope") == "matching" else "ticked"
    ids = page.context["ids"]
    return post(
        client,
        action,
        ids=ids,
        scope=scope,
        query=kwargs.get("query", "q=lina"),
        expected=count,
        confirm="1",
    )


def test_the_list_offers_the_bulk_form_and_row_actions(client, root, lina):
    html = client.get(LIST, {"q": "lina"}).content.decode()
    assert f'action="{BULK}"' in html
    assert f'name="id" value="{lina[0].pk}"' in html
    assert f"Select {lina[0].username}</label>" in html
    assert "All 5 users matching this search" in html
    assert reverse("users:deactivate", args=[lina[0].pk]) in html
    assert 'name="query" value="q=lina"' in html


def test_ticked_deactivate_acts_at_once_and_offers_undo(client, root, lina):
    ids = [lina[0].pk, lina[1].pk]
    done = post(client, "deactivate", ids=ids)
    assert done.status_code == 302
    assert User.objects.filter(pk__in=ids, is_active=False).count() == 2
    assert User.objects.filter(pk=lina[2].pk, is_active=True).exists()
    result = client.get(done["Location"])
    html = result.content.decode()
    assert 'role="status"' in html and "Deactivated 2 accounts" in html
    assert "Undo" in html
    event = AuditEvent.objects.get(action=Action.BULK)
    assert event.changes["scope"] == "ticked"
    assert "q=lina" in event.changes["filters"]


def test_more_than_a_few_accounts_are_confirmed_first(client, root, lina, settings):
    settings.BULK_AT_ONCE_UP_TO = 1
    ids = [lina[0].pk, lina[1].pk]
    page = post(client, "deactivate", ids=ids)
    html = page.content.decode()
    assert "Deactivate 2 accounts?" in html
    assert lina[0].username in html and lina[2].username not in html
    assert User.objects.filter(pk__in=ids, is_active=True).count() == 2
    assert confirm(client, "deactivate", ids=ids).status_code == 302
    assert User.objects.filter(pk__in=ids, is_active=False).count() == 2


def test_all_matching_acts_at_once_only_at_the_number_the_list_showed(
    client, root, lina
):
    # The list's form carries the exact count it showed beside "all matching".
    html = client.get(LIST, {"q": "lina"}).content.decode()
    assert 'name="expected" value="5"' in html
    UserFactory(username="lina9", full_name="Lina Late")  # one more since
    refused = post(client, "deactivate", scope="matching", expected=5)
    assert refused.status_code == 409
    assert "more than the 5 you confirmed" in refused.content.decode()
    assert User.objects.search("lina").filter(is_active=True).count() == 6
    done = post(client, "deactivate", scope="matching", expected=6)
    assert done.status_code == 302
    assert not User.objects.search("lina").filter(is_active=True).exists()
    # Without a number (the list showed an estimate), it asks first.
    assert post(client, "activate", scope="matching").status_code == 200


def test_what_cannot_be_undone_is_always_confirmed(client, root, lina):
    for action in ("delete", "end_sessions"):
        page = post(client, action, ids=[lina[0].pk])
        assert page.status_code == 200
        assert page.context["label"] in page.content.decode()
    assert User.objects.filter(pk=lina[0].pk).exists()
    assert not AuditEvent.objects.filter(action=Action.BULK).exists()


@pytest.mark.parametrize(
    ("action", "active_after"),
    [("activate", True), ("deactivate", False), ("end_sessions", None)],
)
def test_each_action_over_all_matching(client, root, lina, action, active_after):
    User.objects.filter(pk=lina[0].pk).update(is_active=False)
    page = post(client, action, scope="matching")
    expected = {"activate": 1, "deactivate": 4, "end_sessions": 5}[action]
    assert page.context["count"] == expected
    assert confirm(client, action, scope="matching").status_code == 302
    event = AuditEvent.objects.get(action=Action.BULK)
    assert event.changes["count"] == expected
    assert event.changes["filters"] == "q=lina"
    assert AuditEvent.objects.of_batch(event.batch).count() == expected
    if active_after is not None:
        assert set(User.objects.search("lina").values_list("is_active", flat=True)) == {
            active_after
        }


def test_bulk_delete_is_offered_and_done_only_with_the_permission(client, lina):
    changer = staff_with("view_user", "change_user")
    client.force_login(changer)
    assert 'value="delete"' not in client.get(LIST, {"q": "lina"}).content.decode()
    response = post(client, "delete", scope="matching")
    assert response.status_code == 403
    assert User.objects.search("lina").count() == 5
    deleter = staff_with("view_user", "delete_user")
    client.force_login(deleter)
    assert 'value="delete"' in client.get(LIST, {"q": "lina"}).content.decode()
    page = post(client, "delete", scope="matching")
    assert "Deleting cannot be undone" in page.content.decode()
    done = confirm(client, "delete", scope="matching")
    assert not User.objects.search("lina").exists()
    html = client.get(done["Location"]).content.decode()
    assert "Deleted 5 accounts" in html and ">Undo<" not in html


def test_export_of_the_ticked_accounts(client, root, lina):
    response = post(client, "export", ids=[lina[1].pk, lina[3].pk])
    assert response.status_code == 200
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert sorted(row[1] for row in rows[1:]) == ["lina1", "lina3"]
    event = AuditEvent.objects.get(action=Action.EXPORT)
    assert f"id={lina[1].pk}" in event.changes["filters"]


def test_a_viewer_may_only_export(client, lina):
    client.force_login(staff_with("view_user"))
    html = client.get(LIST, {"q": "lina"}).content.decode()
    assert 'value="export"' in html and 'value="deactivate"' not in html
    assert reverse("users:deactivate", args=[lina[0].pk]) not in html
    for action in ("activate", "deactivate", "end_sessions", "delete"):
        assert post(client, action, ids=[lina[0].pk]).status_code == 403
    assert post(client, "export", ids=[lina[0].pk]).status_code == 200


def test_a_changer_cannot_bulk_deactivate_a_superuser_or_a_stronger_account(
    client, lina
):
    changer = staff_with("view_user", "change_user")
    client.force_login(changer)
    stronger = staff_with(
        "view_user", "change_user", "delete_user", full_name="Lina Strong"
    )
    page = post(client, "deactivate", scope="matching")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'role="alert"' in html and stronger.username in html
    assert "Deactivate 6 accounts</button>" not in html  # no Confirm button
    forced = confirm(client, "deactivate", scope="matching")
    assert forced.status_code == 403
    assert "hold permissions you do not have" in forced.content.decode()
    SuperuserFactory(full_name="Lina Root")
    refused = post(client, "deactivate", scope="matching", expected=7, confirm="1")
    assert refused.status_code == 403
    assert "Only a superuser can change a superuser" in refused.content.decode()
    assert User.objects.search("lina").inactive().count() == 0
    assert not AuditEvent.objects.filter(action=Action.BULK).exists()


def test_a_confirmation_without_its_count_only_asks_again(client, root, lina):
    page = post(client, "deactivate", scope="matching", confirm="1")
    assert page.status_code == 200 and page.context["count"] == 5
    assert User.objects.search("lina").inactive().count() == 0


def test_the_last_active_superuser_and_oneself_are_refused(client, root):
    refused = post(
        client, "deactivate", ids=[root.pk], query="", confirm="1", expected=1
    )
    assert refused.status_code == 403
    assert "your own account" in refused.content.decode()
    assert User.objects.get(pk=root.pk).is_active


def test_a_selection_that_grew_since_the_confirmation_is_refused(client, root, lina):
    page = post(client, "deactivate", scope="matching")
    assert page.context["count"] == 5
    UserFactory(full_name="Lina Late")
    refused = post(client, "deactivate", scope="matching", expected=5, confirm="1")
    assert refused.status_code == 409
    html = refused.content.decode()
    assert "more than the 5 you confirmed" in html
    assert "Deactivate 6 accounts</button>" in html  # asked again, at the new size
    assert User.objects.search("lina").active().count() == 6


@pytest.mark.parametrize(
    ("ids", "status"),
    [
        (["abc"], 400),
        (["1.5"], 400),
        (["-3"], 400),
        (["0"], 400),
        (["99999999999999999999999"], 400),
        (["١٢"], 400),  # Arabic-Indic digits: not ASCII
        ([str(n) for n in range(1, 1002)], 400),
    ],
)
def test_hostile_ids_are_refused(client, root, lina, ids, status):
    response = post(client, "deactivate", ids=ids, confirm="1")
    assert response.status_code == status
    assert User.objects.search("lina").active().count() == 5


def test_duplicate_ids_count_once_and_other_rows_select_nothing(client, root, lina):
    outsider = UserFactory(full_name="Not Matching")
    ids = [lina[0].pk, lina[0].pk, outsider.pk, 987654321]
    assert post(client, "deactivate", ids=ids).status_code == 302
    assert not User.objects.get(pk=lina[0].pk).is_active
    assert User.objects.get(pk=outsider.pk).is_active
    assert AuditEvent.objects.filter(action=Action.DEACTIVATE).count() == 1


def test_nothing_ticked_goes_back_to_the_list_with_a_message(client, root, lina):
    response = post(client, "deactivate")
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?q=lina"
    assert (
        "Tick at least one account" in client.get(response["Location"]).content.decode()
    )


def test_invalid_list_parameters_are_a_400(client, root, lina):
    response = post(client, "deactivate", scope="matching", query="is_active=maybe")
    assert response.status_code == 400
    assert post(client, "nuke", scope="matching").status_code == 400


def test_hostile_values_in_every_field(root):
    client = Client(raise_request_exception=False)
    client.force_login(root)
    fields = {"action": "deactivate", "scope": "ticked", "query": "", "id": root.pk}
    for name in (*fields, "expected", "confirm", "page_id"):
        for value in values_for(f"bulk:{name}"):
            response = client.post(BULK, fields | {name: value})
            assert response.status_code in (200, 302, 400, 403), (name, value[:60])
            if not response.streaming:
                assert MARKUP not in response.content.decode(), (name, value[:60])
    assert not AuditEvent.objects.filter(action=Action.BULK).exists()


def test_bulk_pages_take_post_only_and_check_csrf(root, lina):
    client = Client(enforce_csrf_checks=True)
    client.force_login(root)
    assert client.get(BULK).status_code == 405
    data = {"action": "deactivate", "scope": "matching", "query": "q=lina"}
    assert client.post(BULK, data | {"confirm": "1"}).status_code == 403
    event = _deactivated(root)
    assert (
        client.post(reverse("users:bulk_undo", args=[event.batch])).status_code == 403
    )
    assert client.get(reverse("users:bulk_undo", args=[event.batch])).status_code == 405
    assert User.objects.search("lina").active().count() == 0


def _deactivated(actor):
    from users import services

    return services.users_bulk(
        actor=actor,
        action="deactivate",
        users=User.objects.search("lina"),
        scope="matching",
        filters="q=lina",
    )


def test_undo_from_the_result_page(client, root, lina):
    event = _deactivated(root)
    undone = client.post(reverse("users:bulk_undo", args=[event.batch]))
    assert undone.status_code == 302
    assert User.objects.search("lina").active().count() == 5
    html = client.get(undone["Location"]).content.decode()
    assert "Activated 5 accounts, undoing" in html and ">Undo<" not in html
    again = client.post(reverse("users:bulk_undo", args=[event.batch]), follow=True)
    assert "already been undone" in again.content.decode()
    assert AuditEvent.objects.filter(action=Action.BULK).count() == 2


def test_undo_after_the_window_is_refused_and_not_offered(client, root, lina, settings):
    event = _deactivated(root)
    with triggers_off():  # backdated: rewriting history
        AuditEvent.objects.filter(batch=event.batch).update(
            at=timezone.now() - timedelta(seconds=settings.BULK_UNDO_SECONDS + 5)
        )
    result = reverse("users:bulk_result", args=[event.batch])
    assert ">Undo<" not in client.get(result).content.decode()
    refused = client.post(reverse("users:bulk_undo", args=[event.batch]), follow=True)
    assert "minutes only" in refused.content.decode()
    assert User.objects.search("lina").active().count() == 0


def test_undo_reports_accounts_changed_since(client, root, lina):
    event = _deactivated(root)
    client.post(reverse("users:activate", args=[lina[0].pk]))
    undone = client.post(reverse("users:bulk_undo", args=[event.batch]), follow=True)
    html = undone.content.decode()
    assert "Activated 4 accounts" in html
    assert "1 account changed since" in html and lina[0].username in html


def test_someone_elses_bulk_change_is_not_found(client, root, lina):
    event = _deactivated(root)
    other = staff_with("view_user", "change_user")
    client.force_login(other)
    assert (
        client.get(reverse("users:bulk_result", args=[event.batch])).status_code == 404
    )
    undo = reverse("users:bulk_undo", args=[event.batch])
    assert client.post(undo).status_code == 404
    assert (
        client.get(reverse("users:bulk_result", args=[uuid.uuid4()])).status_code == 404
    )
    assert User.objects.search("lina").active().count() == 0


def test_list_with_row_actions_keeps_its_query_budget(
    client, django_assert_max_num_queries
):
    changer = staff_with("view_user", "change_user")
    UserFactory.create_batch(20)
    staff_with("delete_user")  # above the changer: no row action for it
    SuperuserFactory()
    client.force_login(changer)
    client.get(LIST)
    # The viewer's 8 (test_views_list) + whom the changer is below (one query
    # for the page).
    with django_assert_max_num_queries(9):
        response = client.get(LIST, {"is_active": "true"})
    rows = response.context["page"].rows
    offered = {row.username: row.offered["deactivate"] for row in rows}
    assert offered[changer.username] is False  # never yourself
    assert sum(offered.values()) == 20
