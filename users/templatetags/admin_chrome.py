"""The user changelist's fixed parts, drawn once (users.admin.chrome):
`{% lean_nav_sidebar %}` for base.html's include of the sidebar and
`{% lean_list_filter cl spec %}` for the admin's admin_list_filter."""

from django import template

from ..admin import chrome

register = template.Library()


@register.simple_tag(takes_context=True)
def lean_nav_sidebar(context):
    return chrome.nav_sidebar(context)


@register.simple_tag
def lean_list_filter(cl, spec):
    return chrome.list_filter(cl, spec)
