"""One date format on every page: `{% moment value %}` renders
<time datetime="ISO" title="exact time">3 days ago</time> (Django's
naturaltime), or `empty` when there is no date."""

from datetime import datetime, tzinfo
from html import escape

from django import template
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.utils.safestring import SafeString
from django.utils.timezone import localtime

register = template.Library()


@register.simple_tag
def moment(value: datetime | None, empty: str = "—") -> SafeString | str:
    # A tag rather than an include: a list renders two per row, and an include
    # costs a template render each.
    if not value:
        return empty
    return moment_html(value)


def moment_html(value: datetime, zone: tzinfo | None = None) -> SafeString:
    """The <time> element of `{% moment %}` for a date, in zone (by default
    the current time zone; the list's rows read it once for the page)."""
    local = localtime(value, zone)
    return SafeString(
        f'<time datetime="{escape(local.isoformat())}" '
        f'title="{escape(exact(local))}">{escape(str(naturaltime(value)))}</time>'
    )


def exact(local: datetime) -> str:
    """Django's date format "Y-m-d H:i T", written out: through
    django.utils.dateformat it was a third of `{% moment %}`, two per row."""
    return (
        f"{local.year:04d}-{local.month:02d}-{local.day:02d} "
        f"{local.hour:02d}:{local.minute:02d} {_zone_name(local)}"
    )


def _zone_name(local: datetime) -> str:
    # As dateformat: no name for a time the zone's clocks pass twice or skip.
    twin = local.replace(fold=not local.fold)
    if local.tzinfo.utcoffset(twin) != local.tzinfo.utcoffset(local):
        return ""
    return str(local.tzinfo.tzname(local))
