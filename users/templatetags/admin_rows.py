"""{% lean_result_list cl %}: the admin's {% result_list %} (the same
template, headers and hidden fields) with the rows drawn in one pass where
users.admin.rows knows the columns, and by the stock tag everywhere else."""

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    result_headers,
    result_hidden_fields,
    result_list,
)
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.utils.safestring import SafeString

from ..admin.rows import lean_rows

register = template.Library()


def lean_result_list(cl) -> dict:
    rows = lean_rows(cl)
    if rows is None:
        return result_list(cl)
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": one_result(rows),
    }


@register.tag(name="lean_result_list")
def lean_result_list_tag(parser, token):
    return InclusionAdminNode(
        "lean_result_list",
        parser,
        token,
        func=lean_result_list,
        template_name="change_list_results.html",
        takes_context=False,
    )


# What change_list_results.html writes between two rows' cells: the end of one
# row, the loop's whitespace, the start of the next.
BETWEEN_ROWS = "</tr>\n\n\n<tr>"


def one_result(rows: list[str]) -> list:
    """The rows as the template's loop would write them, given to it as one
    result of one item: its loop then runs once, where 100 turns of it (each
    an {% if %} and an inner {% for %}) were another tenth of the page. The
    stock rendering is compared with this byte for byte (test_admin_rows)."""
    if not rows:
        return []
    return [ResultList(None, [SafeString(BETWEEN_ROWS.join(rows))])]
