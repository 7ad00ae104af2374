"""{% lean_result_list cl %}: the admin's {% result_list %} (the same
template, headers and hidden fields) with the rows drawn in one pass where
users.admin.rows knows the columns, and by the stock tag everywhere else. The
table around the rows (the headers: a sort link each) is drawn once per
state (users.admin.chrome) while change_list_results.html is the stock one."""

from django import template
from django.contrib.admin.templatetags.admin_list import (
    ResultList,
    result_headers,
    result_hidden_fields,
    result_list,
)
from django.contrib.admin.templatetags.base import InclusionAdminNode
from django.utils.safestring import SafeString

from ..admin import chrome
from ..admin.rows import lean_rows

register = template.Library()
# Stands for the rows while the table around them is drawn: a comment, which
# no header's (escaped) text or link can hold.
ROWS_MARK = "<!--lean rows-->"


def lean_result_list(cl, rows: list[str]) -> dict:
    headers = list(result_headers(cl))
    return {
        "cl": cl,
        "result_hidden_fields": list(result_hidden_fields(cl)),
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": one_result(rows),
    }


class ResultListNode(InclusionAdminNode):
    def render(self, context):
        (cl,), _ = self.get_resolved_arguments(context)
        rows = lean_rows(cl)
        if rows is None:
            return self._draw(context, result_list(cl))
        if not rows:
            return self._draw(context, lean_result_list(cl, rows))

        def around():
            html = self._draw(context, lean_result_list(cl, [ROWS_MARK]))
            before, mark, after = html.partition(ROWS_MARK)
            assert mark and ROWS_MARK not in after, "the rows' mark is not unique"
            return before, after

        key = chrome.result_list_key(cl)
        before, after = chrome.drawn(self._template(context), key, around)
        return SafeString(before + BETWEEN_ROWS.join(rows) + after)

    def _template(self, context):
        # As InclusionAdminNode: per model, app, or site.
        opts, name = context["opts"], self.template_name
        return context.template.engine.select_template(
            [
                f"admin/{opts.app_label.lower()}/{opts.model_name}/{name}",
                f"admin/{opts.app_label.lower()}/{name}",
                f"admin/{name}",
            ]
        )

    def _draw(self, context, values: dict) -> SafeString:
        # As InclusionNode.render.
        drawing = context.new(values)
        csrf_token = context.get("csrf_token")
        if csrf_token is not None:
            drawing["csrf_token"] = csrf_token
        return self._template(context).render(drawing)


@register.tag(name="lean_result_list")
def lean_result_list_tag(parser, token):
    return ResultListNode(
        "lean_result_list",
        parser,
        token,
        func=lambda cl: cl,
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
