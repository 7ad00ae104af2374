"""The user changelist's fixed parts, drawn once (users.admin.chrome):
`{% lean_nav_sidebar %}` for base.html's include of the sidebar,
`{% lean_list_filter cl spec %}` for the admin's admin_list_filter,
`{% lean_admin_actions %}` for its admin_actions and `{% lean_media_js media.js %}`
for `{% csp_nonce_attr media.js %}`."""

from django import template
from django.contrib.admin.templatetags.base import InclusionAdminNode

from ..admin import chrome

register = template.Library()


@register.simple_tag(takes_context=True)
def lean_nav_sidebar(context):
    return chrome.nav_sidebar(context)


@register.simple_tag
def lean_list_filter(cl, spec):
    return chrome.list_filter(cl, spec)


@register.simple_tag(takes_context=True)
def lean_media_js(context, media):
    return chrome.media_js(context, media)


def _the_context(context):
    return context


class ActionBarNode(InclusionAdminNode):
    """{% admin_actions %}: the same template (per model, app or site) and
    context, drawn through chrome.action_bar."""

    def render(self, context):
        # As the stock tag: which bar of the page this is (its button's value).
        context["action_index"] = context.get("action_index", -1) + 1
        opts = context["opts"]
        template = context.template.engine.select_template(
            [
                f"admin/{opts.app_label.lower()}/{opts.model_name}/{self.template_name}",
                f"admin/{opts.app_label.lower()}/{self.template_name}",
                f"admin/{self.template_name}",
            ]
        )
        return chrome.action_bar(
            context, template, lambda: super(ActionBarNode, self).render(context)
        )


@register.tag(name="lean_admin_actions")
def lean_admin_actions_tag(parser, token):
    return ActionBarNode(
        "lean_admin_actions",
        parser,
        token,
        func=_the_context,
        template_name="actions.html",
    )
