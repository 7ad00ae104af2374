"""The list's row links (`{% row_url %}`, users/templatetags/rowurls.py) are
the URLs reverse() gives, on the page and under a script prefix."""

import re
from unittest import mock

import pytest
from django.urls import clear_script_prefix, reverse, set_script_prefix

from users.templatetags import rowurls

from .factories import UserFactory

pytestmark = pytest.mark.django_db
LIST = reverse("users:list")
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
# "now" or "a second ago" by the clock: not what is compared here.
TIME = re.compile(r"<time [^>]*>[^<]*</time>")


def page(client, query: str = "") -> str:
    response = client.get(f"{LIST}{query}")
    assert response.status_code == 200
    return TIME.sub("<time>", TOKEN.sub("", response.content.decode()))


def test_the_page_is_the_same_as_with_reverse(superuser_client):
    UserFactory.create_batch(4)
    UserFactory.create_batch(2, is_active=False)
    for query in ("", "?is_active=false", "?ordering=username&per_page=50"):
        with mock.patch.object(rowurls, "_around", return_value=None):
            reversed_each = page(superuser_client, query)
        assert page(superuser_client, query) == reversed_each
    html = page(superuser_client)
    account = UserFactory._meta.model.objects.filter(is_active=False).first()
    assert f'href="{reverse("users:detail", args=[account.pk])}?back=' in html
    assert f'formaction="{reverse("users:activate", args=[account.pk])}"' in html


@pytest.mark.parametrize("name", ["users:detail", "users:activate", "users:deactivate"])
@pytest.mark.parametrize("pk", [1, 42, 987654321987654321, 10**20])
def test_each_url_is_reverse_own(name, pk):
    assert rowurls.row_url(name, pk) == reverse(name, args=[pk])


def test_a_script_prefix_is_kept():
    set_script_prefix("/admin-console/")
    try:
        assert rowurls.row_url("users:detail", 7) == "/admin-console/users/7/"
        assert rowurls.row_url("users:detail", 7) == reverse("users:detail", args=[7])
    finally:
        clear_script_prefix()
    assert rowurls.row_url("users:detail", 7) == reverse("users:detail", args=[7])


def test_an_id_that_is_not_an_integer_is_reversed():
    assert rowurls.row_url("users:detail", "7") == reverse("users:detail", args=["7"])
