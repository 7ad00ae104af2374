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


@register.tag(name="lean_admin_actions")
def lean_admin_actions_tag(parser, token):
    return ActionBarNode(
        "lean_admin_actions",
        parser,
        token,
        func=_the_context,
        template_name="actions.html",
        key=chrome.action_bar_key,
    )


@register.tag(name="lean_pagination")
def lean_pagination_tag(parser, token):
    return DrawnOnceNode(
        "lean_pagination",
        parser,
        token,
        func=pagination,
        template_name="pagination.html",
        takes_context=False,
        key=chrome.pagination_key,
    )


@register.tag(name="lean_object_tools")
def lean_object_tools_tag(parser, token):
    return DrawnOnceNode(
        "lean_object_tools",
        parser,
        token,
        func=_the_context,
        template_name="change_list_object_tools.html",
        key=chrome.object_tools_key,
    )


@register.tag(name="lean_search_form")
def lean_search_form_tag(parser, token):
    return DrawnOnceNode(
        "lean_search_form",
        parser,
        token,
        func=search_form,
        template_name="search_form.html",
        takes_context=False,
        key=chrome.search_form_key,
    )
