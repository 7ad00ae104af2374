"""The user changelist's fixed parts drawn once: the navigation sidebar, the
filters' lists, the search form, the action bar, the table's headers, the
page links, the add link and the scripts' tags.

With the rows drawn in one pass (rows.py), the page's templates were most of
its time, and some of them draw the same HTML on every request: the sidebar
(~2.4 ms of ~18 ms CPU at 1M users, a profile of "list page 1"), the action
bar with its select of twelve options (~2 ms), five filter lists (~0.7 ms),
the eight script tags of the page's media (~0.5 ms: a static() and a
format_html each), the page links (~0.5 ms on page 150: a query string each).
Each is kept here by everything its template reads (values with their types:
a SafeString and a str of the same text escape differently), so that a hit is
the HTML the template would draw. Whatever is drawn by a template is drawn
once only while that template is the stock admin's (an override may read
more); a widget's template reads only its own context, which the key holds.
"""

import threading
from collections import OrderedDict
from pathlib import Path

import django.contrib.admin
from django import forms
from django.conf import settings
from django.contrib.admin import helpers
from django.core.signals import setting_changed
from django.template.loader import get_template
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import csp, translation
from django.utils.translation import gettext_lazy as _

ADMIN_TEMPLATES = str(Path(django.contrib.admin.__file__).parent / "templates")
SIDEBAR_TEMPLATES = ("admin/nav_sidebar.html", "admin/app_list.html")
FILTER_TEMPLATE = "admin/filter.html"
# What actions.html reads from the page's context, besides the form and cl.
ACTIONS_READS = (
    "action_index",
    "actions_selection_counter",
    "selection_note",
    "selection_note_all",
    "module_name",
)


class Drawings:
    """At most `size` drawings by key, the least recently used dropped first."""

    def __init__(self, size: int):
        self._size = size
        self._drawn = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, draw):
        with self._lock:
            html = self._drawn.get(key)
            if html is not None:
                self._drawn.move_to_end(key)
                return html
        html = draw()
        with self._lock:
            self._drawn[key] = html
            if len(self._drawn) > self._size:
                self._drawn.popitem(last=False)
        return html

    def clear(self) -> None:
        with self._lock:
            self._drawn.clear()


# A sidebar per path and permission set, a filter per selection, a widget per
# choice list: a few each in practice.
drawings = Drawings(size=512)


def _forget(**kwargs):
    """A setting changed (tests): static URLs, languages, templates may draw
    differently now."""
    drawings.clear()


setting_changed.connect(_forget)


def frozen(value):
    """value as a key: containers as their type and a tuple of their items,
    anything else as its type and its text (the text is what a template
    writes; the type says how it escapes, or how a container is written)."""
    if isinstance(value, (list, tuple)):
        return type(value), tuple(frozen(item) for item in value)
    if isinstance(value, dict):
        items = tuple((key, frozen(item)) for key, item in sorted(value.items()))
        return type(value), items
    if type(value) is str:
        return value  # a str is itself; nothing else equals it
    return type(value), str(value)


def is_stock(*names: str) -> bool:
    """Do these names load the stock admin's own templates?"""
    return all(_stock(get_template(name)) for name in names)


def _stock(template) -> bool:
    return template.origin.name.startswith(ADMIN_TEMPLATES)


def nav_sidebar(context):
    """The sidebar as base.html includes it: what it reads is the apps and
    models offered with their links, the path (which of them is current) and
    the language. Their names are the app's and the model's verbose names
    (AdminSite.get_app_list), the same for the same model and language: the
    key holds the model, not the name (casting a lazy name to text is a
    translation lookup each)."""
    template = context.template.engine.get_template(SIDEBAR_TEMPLATES[0])
    if not is_stock(*SIDEBAR_TEMPLATES):
        return template.render(context)
    offered = tuple(
        (
            app["app_label"],
            app["app_url"],
            tuple(
                (m["model"], m.get("admin_url"), m.get("add_url"), m.get("view_only"))
                for m in app["models"]
            ),
        )
        for app in context.get("available_apps") or ()
    )
    key = ("sidebar", translation.get_language(), context["request"].path, offered)
    return drawings.get(key, lambda: template.render(context))


def list_filter(cl, spec):
    """A filter's list as the admin_list_filter tag draws it: what filter.html
    reads is the title, each choice's selection, link and label."""
    template = get_template(spec.template)
    choices = list(spec.choices(cl))
    values = {"title": spec.title, "choices": choices, "spec": spec}
    if spec.template != FILTER_TEMPLATE or not is_stock(FILTER_TEMPLATE):
        return template.render(values)
    shown = [
        (bool(choice.get("selected")), choice.get("query_string"), choice["display"])
        for choice in choices
    ]
    key = ("filter", translation.get_language(), frozen(spec.title), frozen(shown))
    return drawings.get(key, lambda: template.render(values))


def result_list_key(cl) -> tuple:
    """What change_list_results.html reads around the rows (drawn in one pass,
    rows.py: plain fields and the action checkbox, no formset): each column's
    header - its name, whether and how the list sorts by it, its sort links
    (the list's parameters with another order)."""
    columns = (type(cl.model_admin), cl.model, tuple(cl.list_display))
    sorting = (frozen(cl.sortable_by), frozen(cl.get_ordering_field_columns()))
    parameters = frozen(sorted(cl.filter_params.items()))
    language = translation.get_language()
    return ("results", language, columns, sorting, parameters)


def search_form_key(context, cl) -> tuple:
    """What search_form.html reads (the search_form tag): the search, its
    help, the counts it states and the list's other parameters (kept as
    hidden fields)."""
    search = (bool(cl.search_fields), cl.query, frozen(cl.search_help_text))
    counts = frozen([cl.result_count, cl.full_result_count, cl.show_full_result_count])
    flags = (cl.is_popup, cl.add_facets)
    parameters = frozen(sorted(cl.params.items()))
    language = translation.get_language()
    return ("search", language, cl.model, search, counts, flags, parameters)


def object_tools_key(context) -> tuple:
    """What change_list_object_tools.html reads: the add permission, the
    model (its add URL and name) and the filters its link preserves."""
    reads = ("has_add_permission", "is_popup", "to_field")
    preserved = ("preserved_filters", "preserved_qsl")
    state = frozen([context.get(name) for name in (*reads, *preserved)])
    return (
        "object tools",
        translation.get_language(),
        context["opts"],
        state,
        *_urls(),
    )


def change_link_key(cl) -> tuple:
    """What a change list's link to a row's change page is made of, but the id."""
    site = cl.model_admin.admin_site.name
    return ("change link", cl.opts, site, cl.preserved_filters, *_urls())


def _urls() -> tuple:
    """What reverse() reads besides its arguments."""
    return settings.ROOT_URLCONF, get_urlconf(), get_script_prefix()


def admindocs_root() -> str:
    """The admin documentation's URL ("" without django.contrib.admindocs),
    once per URL configuration and script prefix."""

    def root():
        try:
            return reverse("django-admindocs-docroot")
        except NoReverseMatch:
            return ""

    return drawings.get(("admindocs", *_urls()), root)


def media_js(context, media):
    """{% csp_nonce_attr media.js %}: the scripts' tags, per list of scripts
    (a page's nonce, when there is one, is drawn into them every time). The
    key reads what Django's Media keeps before merging the lists (_js_lists:
    merging them costs more than the key) and each Script's path and
    attributes."""
    if context.get(csp.CONTEXT_KEY) is not None:
        return csp.nonce_attr(context, media)
    scripts = tuple(
        tuple(
            (type(script), getattr(script, "_path", script), frozen(attributes))
            for script in listed
            for attributes in [getattr(script, "attributes", None)]
        )
        for listed in media._js_lists
    )
    return drawings.get(("media", scripts), lambda: csp.nonce_attr(context, media))


def drawn(template, key, draw):
    """draw(), once per key while template is the stock admin's own (an
    override may read more than the key holds)."""
    return drawings.get(key, draw) if _stock(template) else draw()


def action_bar_key(context) -> tuple:
    """What actions.html reads (the admin_actions tag): the form's fields (as
    drawn: their widgets are drawn once), which bar of the page this is, the
    counter and its notes."""
    form, cl = context.get("action_form"), context["cl"]
    fields = tuple((frozen(field.label), str(field)) for field in form or ())
    notes = frozen([context.get(name) for name in ACTIONS_READS])
    counts = (len(cl.result_list), frozen(cl.result_count))
    return ("actions", translation.get_language(), fields, notes, counts)


def pagination_key(context, cl) -> tuple:
    """What pagination.html reads (the pagination tag): the page, the pages
    (their links are the list's parameters with another page), the count,
    "Show all", and the model's names."""
    pages = (type(cl.paginator), cl.page_num, cl.paginator.num_pages, cl.multi_page)
    shown = (cl.show_all, cl.can_show_all, frozen(cl.result_count), cl.is_popup)
    parameters = frozen(sorted(cl.filter_params.items()))
    return (
        "pagination",
        translation.get_language(),
        cl.model,
        pages,
        shown,
        parameters,
    )


class DrawnOnce:
    """A widget drawn once per state: its template reads the name, value and
    attributes given, its own attributes, choices and flags, all in the key."""

    def render(self, name, value, attrs=None, renderer=None):
        state = (name, value, attrs, self.attrs, getattr(self, "choices", None))
        flags = (self.is_required, self.is_localized, self.template_name)
        key = (type(self), translation.get_language(), renderer, *flags)
        key += frozen(state)
        return drawings.get(
            key, lambda: super(DrawnOnce, self).render(name, value, attrs, renderer)
        )


class DrawnOnceSelect(DrawnOnce, forms.Select):
    pass


class DrawnOnceHiddenInput(DrawnOnce, forms.HiddenInput):
    pass


class ActionForm(helpers.ActionForm):
    """The admin's action form (the same fields), its widgets drawn once."""

    action = forms.ChoiceField(label=_("Action:"), widget=DrawnOnceSelect)
    select_across = forms.BooleanField(
        label="",
        required=False,
        initial=0,
        widget=DrawnOnceHiddenInput({"class": "select-across"}),
    )
