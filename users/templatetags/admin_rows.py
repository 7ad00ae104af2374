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
        # One item per row: the template joins a row's items.
        "results": [ResultList(None, [row]) for row in rows],
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
