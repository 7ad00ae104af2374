"""`{% list_rows page.rows back=... selectable=... with_actions=... %}`: the
list page's table rows, drawn in one pass (users/web/rows.py); `{% page_ids
page.rows %}`: the bulk form's hidden id of each account on the page."""

from django import template
from django.utils.safestring import SafeString

from ..web.rows import draw_page_ids, draw_rows

register = template.Library()


@register.simple_tag
def list_rows(rows, *, back: str, selectable, with_actions) -> SafeString:
    return draw_rows(
        rows, back=back, selectable=bool(selectable), with_actions=bool(with_actions)
    )


@register.simple_tag
def page_ids(rows) -> SafeString:
    return draw_page_ids(rows)
