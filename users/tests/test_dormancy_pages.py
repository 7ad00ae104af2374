"""The dormant-account policy's pages and admin, through the client: the
preview (count, sample, CSV of exactly who would be hit, hostile cells), an
account's exemption, the admin's filter and actions."""

import csv
import io
import json
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from users.export import original
from users.models import AuditEvent, DormancyExemption, User

from .dormancy import AFTER, dormant_policy, idle  # noqa: F401
from .factories import SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db
Action = AuditEvent.Action
SHAPES = json.loads(
    (Path(__file__).parent / "data" / "hostile_shapes.json").read_text()
)
PREVIEW, EXPORT = reverse("users:dormant"), reverse("users:dormant_export")


def downloaded(client) -> list[dict]:
    response = client.get(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_the_preview_says_when_the_policy_is_off(superuser_client, settings):
    settings.DORMANT_AFTER_DAYS = 0
    page = superuser_client.get(PREVIEW).content.decode()
    assert "The dormant-account policy is off" in page
    assert "DORMANT_AFTER_DAYS" in page


@pytest.mark.usefixtures("dormant_policy")
def test_the_preview_counts_samples_and_downloads_exactly_who(
    superuser_client, settings
):
    settings.DORMANT_EXEMPT_GROUPS = ["Service"]
    hit = {idle(AFTER + n, username=f"sleepy{n}").username for n in range(1, 4)}
    hit.add(idle(AFTER + 9, never=True, username="never").username)
    idle(AFTER - 1, username="awake")
    DormancyExemption.objects.create(
        user=idle(AFTER + 5, username="kept"), by_label="x"
    )
    Group.objects.create(name="Service").user_set.add(idle(AFTER + 5, username="svc"))
    response = superuser_client.get(PREVIEW)
    assert response["Cache-Control"].startswith("max-age=0")
    page = response.content.decode()
    assert '<dd id="dormant-count">4</dd>' in page
    assert "sleepy1" in page and "never" in page
    assert "awake" not in page and "kept" not in page and "svc" not in page
    assert "Service" in page  # the exempt groups are named
    rows = downloaded(superuser_client)
    assert {row["username"] for row in rows} == hit
    assert rows[0]["username"] == "never"  # idle the longest (never logged in)
    export = AuditEvent.objects.get(action=Action.EXPORT)
    assert export.changes == {"filters": "dormant-account preview"}
    assert User.objects.filter(is_active=True).count() == 8  # nothing changed


@pytest.mark.usefixtures("dormant_policy")
def test_head_on_the_csv_is_not_an_export(superuser_client):
    """As with the list's CSV and the subject-access download: the headers
    only, nothing downloaded, nothing recorded."""
    idle(AFTER + 1, username="sleepy")
    response = superuser_client.head(EXPORT)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert not AuditEvent.objects.filter(action=Action.EXPORT).exists()


@pytest.mark.usefixtures("dormant_policy")
def test_the_sample_is_capped_and_says_so(superuser_client):
    for n in range(25):
        idle(AFTER + 1 + n)
    page = superuser_client.get(PREVIEW).content.decode()
    assert '<dd id="dormant-count">25</dd>' in page
    assert "The 20 idle the longest, of 25" in page
    assert page.count('<th scope="row">') == 20


@pytest.mark.usefixtures("dormant_policy")
def test_the_csv_neutralises_hostile_cells(superuser_client):
    values = {
        idle(AFTER + 1, full_name=value).username: value
        for value in SHAPES["formula_cells"]
    }
    rows = {row["username"]: row for row in downloaded(superuser_client)}
    assert set(rows) == set(values)
    for name, value in values.items():
        assert rows[name]["full_name"] == "'" + value, value
        assert original(rows[name]["full_name"]) == value


@pytest.mark.usefixtures("dormant_policy")
def test_the_preview_counts_warnings_when_they_are_on(superuser_client, settings):
    settings.DORMANT_WARN_DAYS = 14
    idle(AFTER - 7)  # due its warning
    idle(AFTER + 7, email="")  # no address: deactivated, not waited for
    page = superuser_client.get(PREVIEW).content.decode()
    assert '<dd id="warn-count">1</dd>' in page
    assert '<dd id="dormant-count">1</dd>' in page
    assert "e-mailed a warning 14 days before" in page


def test_exempting_from_the_account_page(superuser_client):
    zoe = UserFactory(username="zoe")
    detail = reverse("users:detail", args=[zoe.pk])
    url = reverse("users:dormancy_exemption", args=[zoe.pk])
    assert url in superuser_client.get(detail).content.decode()
    response = superuser_client.post(url, {"exempt": "on", "note": "Service account"})
    assert response.status_code == 302
    page = superuser_client.get(response["Location"]).content.decode()
    assert "zoe is exempt from the dormant-account policy." in page
    assert "Exempt: Service account" in page
    form = superuser_client.get(url).content.decode()
    assert "checked" in form and "Service account" in form
    superuser_client.post(url, {"note": "ignored when not exempt"})
    assert not DormancyExemption.objects.filter(user=zoe).exists()
    events = AuditEvent.objects.filter(action=Action.DORMANT_EXEMPT, target_id=zoe.pk)
    assert events.count() == 2


def test_a_long_note_is_a_field_error(superuser_client):
    zoe = UserFactory()
    url = reverse("users:dormancy_exemption", args=[zoe.pk])
    response = superuser_client.post(url, {"exempt": "on", "note": "x" * 501})
    assert response.status_code == 200
    assert "at most 500 characters" in response.content.decode()
    assert not DormancyExemption.objects.exists()


def test_ones_own_exemption_is_not_offered(client, login):
    root = login("superuser")
    page = client.get(reverse("users:detail", args=[root.pk])).content.decode()
    url = reverse("users:dormancy_exemption", args=[root.pk])
    assert url not in page
    response = client.get(url, follow=True)
    assert "You cannot change the dormancy exemption of your own account." in (
        response.content.decode()
    )


@pytest.mark.usefixtures("dormant_policy")
def test_nobody_joins_an_exempt_group_on_their_own(client, login, settings):
    """Joining a group the policy exempts is exempting oneself: refused on
    the access page as on the exemption page; others may still be added."""
    settings.DORMANT_EXEMPT_GROUPS = ["Service"]
    service = Group.objects.create(name="Service")
    me = login(staff_with("view_user", "change_user", username="me"))
    response = client.post(
        reverse("users:access", args=[me.pk]), {"groups": [service.pk]}, follow=True
    )
    assert "exempt from the dormant-account policy" in response.content.decode()
    assert not me.groups.exists()
    assert User.objects.not_exempt(("Service",)).filter(pk=me.pk).exists()
    other = UserFactory(username="other")
    client.post(reverse("users:access", args=[other.pk]), {"groups": [service.pk]})
    assert list(other.groups.all()) == [service]


@pytest.mark.usefixtures("dormant_policy")
def test_the_admin_filter_and_actions(superuser_client):
    sleepy, awake = idle(AFTER + 1, username="sleepy"), idle(1, username="awake")
    changelist = reverse("admin:users_user_changelist")
    page = superuser_client.get(changelist, {"status": "dormant"}).content.decode()
    assert "sleepy" in page and "awake" not in page
    response = superuser_client.post(
        changelist,
        {
            "action": "exempt_from_dormancy_selected",
            "_selected_action": [sleepy.pk, awake.pk],
        },
        follow=True,
    )
    assert "Exempted 2 user(s)." in response.content.decode()
    assert DormancyExemption.objects.count() == 2
    page = superuser_client.get(changelist, {"status": "dormant"}).content.decode()
    assert "sleepy" not in page
    page = superuser_client.get(changelist, {"status": "exempt"}).content.decode()
    assert "sleepy" in page and "awake" in page
    change = reverse("admin:users_user_change", args=[sleepy.pk])
    assert "Exempt, by " in superuser_client.get(change).content.decode()
    superuser_client.post(
        changelist,
        {"action": "end_dormancy_exemption_selected", "_selected_action": [sleepy.pk]},
    )
    assert list(DormancyExemption.objects.values_list("user_id", flat=True)) == [
        awake.pk
    ]


def test_the_admin_action_is_all_or_nothing(client, login):
    actor = login("changer")
    above = SuperuserFactory(username="above")
    response = client.post(
        reverse("admin:users_user_changelist"),
        {
            "action": "exempt_from_dormancy_selected",
            "_selected_action": [UserFactory().pk, above.pk, actor.pk],
        },
        follow=True,
    )
    assert response.status_code == 200
    assert not DormancyExemption.objects.exists()
    assert not AuditEvent.objects.filter(action=Action.DORMANT_EXEMPT).exists()
