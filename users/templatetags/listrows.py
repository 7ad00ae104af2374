"""`{% list_rows page.rows back=... selectable=... with_actions=... %}`: the
list page's table rows, drawn in one pass (users/web/rows.py)."""

from django import template
from django.utils.safestring import SafeString

from ..web.rows import draw_rows

register = template.Library()


@register.simple_tag
def list_rows(rows, *, back: str, selectable, with_actions) -> SafeString:
    return draw_rows(
        rows, back=back, selectable=bool(selectable), with_actions=bool(with_actions)
    )
