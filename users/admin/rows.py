"""The user changelist's rows in one pass, as the stock admin draws them.

The stock result list draws each of a page's ~900 cells on its own:
items_for_result looks the field up again, display_for_field tests its type
again, every checkbox renders a widget template and every link reverses a URL
and re-parses the preserved filters. At 1M users that was 72% of our
changelist's time (a profile; bench/measure.py "list page 1"). Here what is
the same for every row (the cell's class, the link's URL around the id, the
checkbox's label, the boolean icons) is worked out once per page, and each row
is one format string. The HTML is the stock admin's, byte for byte
(users/tests/test_admin_rows.py compares them); any column, option or state
this does not know (list_editable, popups, to_field, callables, relations,
choices, other field types) keeps the stock rendering for the whole list.
"""

import datetime
from functools import lru_cache
from html import escape

from django.conf import settings
from django.contrib.admin.options import ModelAdmin
from django.contrib.admin.templatetags.admin_list import _boolean_icon
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.urls import NoReverseMatch, reverse
from django.utils import dateformat, formats, timezone, translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from . import chrome

CHECKBOX = "action_checkbox"
# Stands for the id while the change URL is reversed once per page.
ID_MARK = "0IDMARK0"
# Field classes drawn here, by how (exact classes: a subclass may display
# differently, and then the stock rendering draws it).
TEXT_FIELDS = (models.CharField, models.EmailField)
KNOWN_FIELDS = (*TEXT_FIELDS, models.BooleanField, models.DateTimeField)


def lean_rows(cl) -> list[SafeString] | None:
    """Each result's row (the cells inside <tr>), or None when the stock
    rendering must draw this list."""
    columns = _columns(cl)
    if columns is None:
        return None
    # Reversed and merged with the preserved filters (a resolve()) once.
    link = chrome.drawings.get(chrome.change_link_key(cl), lambda: _link(cl))
    if link is None:
        return None
    draw = [_drawer(name, field, linked, link, cl) for name, field, linked in columns]
    rows = cl.result_list
    return [SafeString("".join([cell(result) for cell in draw])) for result in rows]


def _columns(cl) -> list[tuple] | None:
    """(name, model field or None for the checkbox, linked?) per column."""
    if cl.formset is not None or cl.is_popup or cl.to_field:
        return None
    if not isinstance(cl.lookup_opts.pk, models.IntegerField):
        return None  # other keys are URL-quoted in ways not repeated here
    links = cl.list_display_links
    if not links:  # None (no links) or empty: the stock rules decide
        return None
    columns = []
    for name in cl.list_display:
        if name == CHECKBOX and _stock_checkbox(cl):
            columns.append((name, None, False))
            continue
        if not isinstance(name, str) or not _plain_field(cl, name):
            return None
        columns.append((name, cl.lookup_opts.get_field(name), name in links))
    linked = [name for name, _, is_link in columns if is_link]
    # The stock list links the first of list_display_links only where it is
    # the first linked cell (a <th>); more than one link is left to it.
    return columns if len(linked) == 1 else None


def _stock_checkbox(cl) -> bool:
    return type(cl.model_admin).action_checkbox is ModelAdmin.action_checkbox


def _plain_field(cl, name: str) -> bool:
    if hasattr(cl.model_admin, name):
        return False  # a method of the admin's shadows the field
    try:
        field = cl.lookup_opts.get_field(name)
    except FieldDoesNotExist:
        return False
    return (
        type(field) in KNOWN_FIELDS
        and not field.is_relation
        and not field.flatchoices
        and field.name != "password"
    )


def _link(cl) -> tuple[str, str] | None:
    """The escaped change URL before and after the quoted id."""
    try:
        url = reverse(
            f"admin:{cl.opts.app_label}_{cl.opts.model_name}_change",
            args=(ID_MARK,),
            current_app=cl.model_admin.admin_site.name,
        )
    except NoReverseMatch:
        return None
    url = add_preserved_filters(
        {"preserved_filters": cl.preserved_filters, "opts": cl.opts}, url
    )
    before, mark, after = escape(url).partition(ID_MARK)
    return (before, after) if mark and ID_MARK not in after else None


def _drawer(name, field, linked, link, cl):
    """A function drawing this column's cell of one result, as the stock
    items_for_result would (html.escape is Django's escape, without its
    lazy-string wrapper)."""
    # The id is an integer (_columns): its text needs no quoting or escaping.
    if field is None:
        # ModelAdmin.action_checkbox's widget, as its template renders it.
        label = gettext("Select this object for an action - {}")
        return lambda result: (
            '<td class="action-checkbox"><input type="checkbox" '
            f'name="_selected_action" value="{result.pk}" '
            f'class="action-select" aria-label="{label.format(escape(str(result)))}">'
            "</td>"
        )
    show = _shower(field, cl.model_admin.get_empty_value_display())
    attname = field.attname
    nowrap = " nowrap" if type(field) is models.DateTimeField else ""
    if not linked:
        start = f'<td class="field-{escape(name)}{nowrap}">'
        return lambda result: f"{start}{show(getattr(result, attname))}</td>"
    before, after = link
    start = f'<th class="field-{escape(name)}{nowrap}"><a href="{before}'
    return lambda result: (
        f'{start}{result.pk}{after}">{show(getattr(result, attname))}</a></th>'
    )


def _shower(field, empty: str):
    """value -> its escaped display, as display_for_field gives it."""
    if type(field) is models.BooleanField:
        icons = {value: str(_boolean_icon(value)) for value in (True, False, None)}
        return lambda value: icons[value] if value in icons else _boolean_icon(value)
    empty_values = field.empty_values
    if type(field) is models.DateTimeField:
        shape, local = datetime_shape(), _localtime()
        return lambda value: (
            empty if value in empty_values else escape(shape(local(value)))
        )
    return lambda value: (
        empty if value in empty_values else escape(value.strip()) or empty
    )


def _localtime():
    """timezone.template_localtime, with the current time zone read once."""
    if not settings.USE_TZ:
        return timezone.template_localtime
    zone = timezone.get_current_timezone()

    def local(value):
        if type(value) is datetime.datetime and value.utcoffset() is not None:
            return value.astimezone(zone)
        return timezone.template_localtime(value)

    return local


# dateformat's specifiers by what they read: the day, the minute, or more.
DAY_CHARS = frozenset("bdDEFjlLmMnNoStwWyYz")
MINUTE_CHARS = frozenset("aAfgGhHiP")


def datetime_shape():
    """local datetime -> formats.localize's text for it (DATETIME_FORMAT).

    dateformat reads the format letter by letter, and its month names and
    a.m./p.m. through gettext: ~60 us a cell, 17% of a changelist page. A
    format whose day letters all come before its minute letters ("N j, Y,
    P") is the day's text and the minute's, each worked out once (per
    language); any other falls back to dateformat for every value."""
    shape = formats.get_format("DATETIME_FORMAT")
    letters = [c for c in shape if c.isalpha()]
    split = next((i for i, c in enumerate(shape) if c in MINUTE_CHARS), len(shape))
    day, minute = shape[:split], shape[split:]
    if (
        "\\" in shape
        or not set(letters) <= DAY_CHARS | MINUTE_CHARS
        or set(day) & MINUTE_CHARS
        or set(minute) & DAY_CHARS
    ):
        return lambda value: dateformat.format(value, shape)
    language = translation.get_language()
    return lambda value: (
        _day_text(language, day, value.date())
        + _minute_text(language, minute, value.hour, value.minute)
    )


@lru_cache(maxsize=4096)
def _day_text(language, shape: str, day: datetime.date) -> str:
    with translation.override(language):
        return dateformat.format(day, shape)


@lru_cache(maxsize=4096)
def _minute_text(language, shape: str, hour: int, minute: int) -> str:
    with translation.override(language):
        return dateformat.time_format(datetime.time(hour, minute), shape)
