"""The list's Next/Previous links: short whatever the rows hold, free of
personal data, and a link whose boundary row was deleted starts again."""

import base64
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse

from users.listing import ORDERING_CHOICES
from users.models import User

from .factories import UserFactory

pytestmark = pytest.mark.django_db
LIST = reverse("users:list")
ORDERINGS = [value for value, _ in ORDERING_CHOICES]
# As long as the fields allow, in characters of two and four bytes.
LONG_NAME = ("Жанна-Александра Константинопольская-Преображенская " * 3)[:140]
LONG_LOCAL = "я" * 56 + "😀" * 4
SHORT_TOKEN = 120  # the list accepts 300


def href(response, rel: str) -> str | None:
    match = re.search(rf'rel="{rel}" href="([^"]+)"', response.content.decode())
    return match.group(1).replace("&amp;", "&") if match else None


def token_of(link: str) -> str:
    return parse_qs(urlsplit(link).query)["page"][0]


def long_users(count: int) -> None:
    for n in range(count):
        UserFactory(
            username=f"{'ю' * 97}{n:03}",  # 100 characters, the limit
            email=f"{LONG_LOCAL}{n:03}@{'д' * 60}.example.com",
            full_name=f"{LONG_NAME}{n:03}",
        )


def walk(client, ordering: str, rel: str, response) -> tuple[list[int], list]:
    """Follow rel links to the end; the ids seen and the responses."""
    seen, pages = [], [response]
    while link := href(response, rel):
        assert len(token_of(link)) <= SHORT_TOKEN, len(token_of(link))
        response = client.get(LIST + link)
        assert response.status_code == 200, response.content[:500]
        pages.append(response)
        seen += [row.pk for row in response.context["page"].rows]
    return seen, pages


@pytest.mark.parametrize("ordering", ORDERINGS)
def test_long_values_page_through_both_ways(superuser_client, ordering):
    long_users(60)
    first = superuser_client.get(LIST, {"ordering": ordering})
    forward, pages = walk(superuser_client, ordering, "next", first)
    everyone = [row.pk for row in first.context["page"].rows] + forward
    assert sorted(everyone) == sorted(User.objects.values_list("pk", flat=True))
    backward, _ = walk(superuser_client, ordering, "prev", pages[-1])
    last_page = [row.pk for row in pages[-1].context["page"].rows]
    assert sorted(backward + last_page) == sorted(everyone)


def test_links_carry_no_personal_data(superuser_client):
    long_users(30)
    response = superuser_client.get(LIST, {"ordering": "email"})
    payload = token_of(href(response, "next")).split(":")[0]
    decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert b"@" not in decoded and b"\\u" not in decoded
    for user in response.context["page"].rows:
        for value in (user.email, user.username, user.full_name):
            assert value[:8].encode() not in decoded


def test_a_link_whose_row_was_deleted_starts_again(superuser_client):
    UserFactory.create_batch(30)
    first = superuser_client.get(LIST, {"ordering": "username"})
    boundary = first.context["page"].rows[-1]
    link = href(first, "next")
    User.objects.filter(pk=boundary.pk).delete()
    response = superuser_client.get(LIST + link)
    assert response.status_code == 200
    assert "has been deleted, so the list starts again" in response.content.decode()
    page = response.context["page"]
    assert page.rows[0].pk == first.context["page"].rows[0].pk
    assert href(response, "prev") is None
    assert href(response, "next")


def test_a_renamed_boundary_row_still_pages(superuser_client):
    UserFactory.create_batch(30)
    first = superuser_client.get(LIST, {"ordering": "full_name"})
    boundary = first.context["page"].rows[-1]
    link = href(first, "next")
    User.objects.filter(pk=boundary.pk).update(full_name="zzz renamed")
    response = superuser_client.get(LIST + link)
    assert response.status_code == 200
    assert all(row.full_name > "zzz renamed" for row in response.context["page"].rows)
