"""The list's filter form, drawn once per state and then reused.

Rendering the ~15 fields through the form templates (label, help, errors,
widget, one template per <option>) was about a third of the list page's CPU,
yet the page shows only a handful of distinct field states: each field empty
or set to one of its choices, with the same labels. So a field's HTML is kept
per (field, language, value, choices) and drawn again only for a state not
seen yet. Only finite states are kept (empty, or one of the field's choices,
and no errors): a typed date, a search text or a refused value is drawn
every time, so hostile query strings cannot grow the cache.
"""

from collections import OrderedDict
from threading import Lock

from django.forms import BoundField
from django.forms.models import ModelChoiceIterator
from django.utils.safestring import SafeString
from django.utils.translation import get_language

# Far more than the real states (15 fields x a few choices x languages);
# the oldest go first past it (the group list changes as groups are renamed).
MAX_ENTRIES = 2048


class _Drawn:
    """A small least-recently-used store of drawn fields, shared by threads."""

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[tuple, SafeString] = OrderedDict()
        self.lock = Lock()

    def get(self, key: tuple) -> SafeString | None:
        with self.lock:
            html = self.entries.get(key)
            if html is not None:
                self.entries.move_to_end(key)
            return html

    def put(self, key: tuple, html: SafeString) -> None:
        with self.lock:
            self.entries[key] = html
            self.entries.move_to_end(key)
            while len(self.entries) > self.size:
                self.entries.popitem(last=False)

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


drawn = _Drawn(MAX_ENTRIES)


def _choices_of(bound: BoundField) -> tuple | None:
    """The field's choices as plain strings (None for a field without), read
    once: the widget then draws from that list, so a group list costs one
    query, not two. (list() of a model iterator would also ask its len(),
    a COUNT: _read does not.)"""
    widget = bound.field.widget
    if not hasattr(widget, "choices"):
        return None
    choices = _read(widget.choices)
    widget.choices = choices
    if any(isinstance(label, (list, tuple)) for _, label in choices):
        return None  # option groups: not used here, not worth a key
    return tuple((str(value), str(label)) for value, label in choices)


def _read(choices) -> list:
    """A widget's choices as a list, in one query for a model's: iterating
    ModelChoiceIterator goes through queryset.iterator(), on PostgreSQL a
    server-side cursor (DECLARE, FETCH, CLOSE: three round trips)."""
    field = getattr(choices, "field", None)
    # (django-filter's "null" choice, unused here, is left to its iterator.)
    if (
        isinstance(choices, ModelChoiceIterator)
        and getattr(field, "null_label", None) is None
    ):
        empty = [] if field.empty_label is None else [("", field.empty_label)]
        return empty + [choices.choice(row) for row in choices.queryset.all()]
    return list(choices)


def _state(bound: BoundField) -> tuple | None:
    """What the field's HTML depends on beyond its (fixed) definition, or
    None when the state is not one worth keeping."""
    choices = _choices_of(bound)
    if bound.errors:
        return None
    value = bound.value()
    if value is not None and not isinstance(value, str):
        return None
    if value not in (None, "") and (
        choices is None or value not in {key for key, _ in choices}
    ):
        return None
    form = bound.form
    return (
        type(form).__qualname__,
        form.prefix,
        bound.name,
        get_language(),
        value,
        choices,
    )


class DrawnField:
    """A bound field for the template: the same name, errors and the like,
    but `as_field_group` comes from the store when its state was drawn."""

    def __init__(self, bound: BoundField):
        self.bound = bound

    def __getattr__(self, name):
        return getattr(self.bound, name)

    def __str__(self):
        return str(self.bound)

    def as_field_group(self) -> SafeString:
        key = _state(self.bound)
        if key is None:
            return self.bound.as_field_group()
        html = drawn.get(key)
        if html is None:
            html = self.bound.as_field_group()
            drawn.put(key, html)
        return html


def drawn_groups(groups: list[tuple[str | None, list]]) -> list[tuple]:
    """ListParameters.field_groups() with each field drawn through the store."""
    return [
        (legend, [DrawnField(bound) for bound in fields]) for legend, fields in groups
    ]
