"""The list's rows, drawn in one pass (users/web/rows.py), are the HTML the
template drew (tests/data/list_rows_reference.html), for every kind of row;
`{% moment %}` writes Django's date format out by hand, the same in any zone."""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.context_processors import PermWrapper
from django.contrib.auth.models import AnonymousUser
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template import engines
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as format_date
from django.utils.html import format_html

from users.templatetags.times import moment, moment_html
from users.web.rows import draw_rows

from .factories import StaffFactory, SuperuserFactory, UserFactory, staff_with

pytestmark = pytest.mark.django_db
REFERENCE = (Path(__file__).parent / "data" / "list_rows_reference.html").read_text()
BACK = "%2Fusers%2F%3Fq%3D%3Cb%3E%26x"


def accounts() -> list:
    """One of each kind of row: states, hostile text, every offered action."""
    now = timezone.now()
    rows = [
        UserFactory(last_login=now - timedelta(minutes=3)),
        UserFactory(is_active=False, last_login=now - timedelta(days=400)),
        StaffFactory(full_name="", last_login=None),
        SuperuserFactory(username="o'neil&<b>", full_name='"Quoted" <i>x</i>'),
        UserFactory(email="a&b@example.com", full_name="Zoë Ünïcode ☃"),
    ]
    offers = [(False, True), (True, False), (False, False), (False, True), (True, True)]
    for account, (activate, deactivate) in zip(rows, offers, strict=True):
        account.offered = {"activate": activate, "deactivate": deactivate}
    return rows


def reference(rows, viewer, *, selectable: bool) -> str:
    template = engines["django"].from_string(REFERENCE)
    return template.render(
        {
            "page": {"rows": rows},
            "back": BACK,
            "bulk_actions": [("activate", "Activate")] if selectable else [],
            "perms": PermWrapper(viewer),
        }
    )


@pytest.mark.parametrize("selectable", [True, False])
@pytest.mark.parametrize("viewer", ["superuser", "viewer", "anonymous"])
def test_the_rows_are_the_templates(selectable, viewer):
    viewer = {
        "superuser": SuperuserFactory,
        "viewer": lambda: staff_with("view_user"),
        "anonymous": AnonymousUser,
    }[viewer]()
    rows = accounts()
    drawn = draw_rows(
        rows,
        back=BACK,
        selectable=selectable,
        with_actions=viewer.has_perm("users.change_user"),
    )
    # The reference's loop starts and ends its file.
    assert reference(rows, viewer, selectable=selectable) == f"    {drawn}\n"


def test_the_list_page_shows_the_rows(superuser_client):
    account = UserFactory(username="x<y", is_active=False)
    html = superuser_client.get(reverse("users:list")).content.decode()
    assert f'id="select-{account.pk}"' in html
    assert f'<input type="hidden" name="page_id" value="{account.pk}">' in html
    assert ">x&lt;y</a></th>" in html
    assert f'formaction="{reverse("users:activate", args=[account.pk])}"' in html


def django_moment(value: datetime) -> str:
    """`{% moment %}` as it was: through django.utils.dateformat."""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        format_date(local, "Y-m-d H:i T"),
        naturaltime(value),
    )


@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "America/St_Johns"])
def test_a_moment_is_djangos_date_format(zone):
    paris = ZoneInfo("Europe/Paris")
    values = [
        timezone.now() - timedelta(seconds=30),
        datetime(2026, 3, 29, 1, 59, tzinfo=UTC),  # Paris springs forward
        datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # Paris's 02:30, twice
        datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=paris),
        datetime(1, 1, 2, tzinfo=UTC),
        datetime(2026, 7, 4, 23, 5, 9, 123456, tzinfo=UTC),
    ]
    with timezone.override(zone):
        for value in values:
            assert moment_html(value) == django_moment(value)


def test_an_empty_moment_is_the_empty_text():
    assert moment(None) == "—"
    assert moment(None, empty="Never") == "Never"
