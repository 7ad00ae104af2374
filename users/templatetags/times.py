"""One date format on every page: `{% moment value %}` renders
<time datetime="ISO" title="exact time">3 days ago</time> (Django's
naturaltime), or `empty` when there is no date."""

from datetime import datetime

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils.dateformat import format as format_date
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

register = template.Library()
EXACT = "Y-m-d H:i T"


@register.simple_tag
def moment(value: datetime | None, empty: str = "—") -> SafeString | str:
    # A tag rather than an include: a list renders two per row, and an include
    # costs a template render each.
    if not value:
        return empty
    local = localtime(value)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        local.isoformat(),
        format_date(local, EXACT),
        naturaltime(value),
    )
