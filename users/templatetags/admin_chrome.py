"""The user changelist's fixed parts, drawn once (users.admin.chrome), for
templates/admin/users/user/change_list.html, each in place of a stock tag:
`{% lean_nav_sidebar %}` (base.html's include of the sidebar),
`{% lean_list_filter cl spec %}` (admin_list_filter), `{% lean_search_form cl %}`,
`{% lean_admin_actions %}`, `{% lean_pagination cl %}`, `{% lean_object_tools %}`
(change_list_object_tools), `{% lean_media_js media.js %}`
(`{% csp_nonce_attr media.js %}`) and `{% admindocs_root as var %}` (the
admin documentation's `{% url %}`)."""

from django import template
from django.contrib.admin.templatetags.admin_list import pagination, search_form
from django.contrib.admin.templatetags.base import InclusionAdminNode

from ..admin import chrome

register = template.Library()


@register.simple_tag(takes_context=True)
def lean_nav_sidebar(context):
    return chrome.nav_sidebar(context)


@register.simple_tag
def admindocs_root():
    """{% url 'django-admindocs-docroot' %}, or "" without admindocs."""
    return chrome.admindocs_root()


@register.simple_tag
def lean_list_filter(cl, spec):
    return chrome.list_filter(cl, spec)


@register.simple_tag(takes_context=True)
def lean_media_js(context, media):
    return chrome.media_js(context, media)


def _the_context(context):
    return context


class DrawnOnceNode(InclusionAdminNode):
    """An admin inclusion tag (its template per model, app or site, as the
    stock tag's) drawn once per key(context, *its arguments)."""

    def __init__(self, *args, key, **kwargs):
        super().__init__(*args, **kwargs)
        self.key = key

    def render(self, context):
        opts = context["opts"]
        app_label, name = opts.app_label.lower(), self.template_name
        template = context.template.engine.select_template(
            [
                f"admin/{app_label}/{opts.model_name}/{name}",
                f"admin/{app_label}/{name}",
                f"admin/{name}",
            ]
        )
        arguments, _ = self.get_resolved_arguments(context)
        if self.takes_context:
            arguments = arguments[1:]  # the context, given first
        return chrome.drawn(
            template,
            self.key(context, *arguments),
            lambda: super(DrawnOnceNode, self).render(context),
        )


class ActionBarNode(DrawnOnceNode):
    def render(self, context):
        # As the stock tag: which bar of the page this is (its button's value).
        context["action_index"] = context.get("action_index", -1) + 1
        return super().render(context)


def _drawn_once_tag(name, func, template_name, key, *, node=DrawnOnceNode):
    """Register {% name %}: the stock inclusion tag `func` with its template,
    drawn once per key (a context first when func takes one)."""
    takes_context = func is _the_context

    def tag(parser, token):
        return node(
            name,
            parser,
            token,
            func=func,
            template_name=template_name,
            takes_context=takes_context,
            key=key,
        )

    register.tag(name, tag)


_drawn_once_tag(
    "lean_admin_actions",
    _the_context,
    "actions.html",
    chrome.action_bar_key,
    node=ActionBarNode,
)
_drawn_once_tag("lean_pagination", pagination, "pagination.html", chrome.pagination_key)
_drawn_once_tag(
    "lean_object_tools",
    _the_context,
    "change_list_object_tools.html",
    chrome.object_tools_key,
)
_drawn_once_tag(
    "lean_search_form", search_form, "search_form.html", chrome.search_form_key
)
