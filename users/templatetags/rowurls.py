"""`{% row_url "users:detail" account.pk %}`: the same URL as `{% url %}`, for
a list's rows. reverse() walks the URL patterns on every call (two or three a
row); here each name is reversed once per URL configuration and script
prefix, and a row's URL is that with its id put in."""

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django import template
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()
# An id no row has, to find where the id goes in the reversed URL.
MARK = 987654321987654321


@lru_cache(maxsize=64)
def _around(name: str, prefix: str, urlconf) -> tuple[str, str] | None:
    """The URL before and after the id, or None when the id does not stand
    once as itself in it (then each row is reversed)."""
    parts = reverse(name, args=[MARK], urlconf=urlconf).split(str(MARK))
    return (parts[0], parts[1]) if len(parts) == 2 else None


@register.simple_tag
def row_url(name: str, pk) -> str:
    return url_maker(name)(pk)


def url_maker(name: str) -> Callable[[Any], str]:
    """row_url(name, pk) as a function of pk, for many rows: the URL
    configuration and script prefix read once."""
    around = _around(name, get_script_prefix(), get_urlconf())
    if around is None:
        return lambda pk: reverse(name, args=[pk])
    before, after = around

    def url(pk) -> str:
        if type(pk) is not int:  # an integer id only: it needs no quoting
            return reverse(name, args=[pk])
        return f"{before}{pk}{after}"

    return url
