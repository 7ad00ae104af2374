"""Edit versions: a signed token of a user as an editor saw it, and the merge
that redraws a stale form without undoing anyone's change (pages and admin)."""

from datetime import UTC, datetime

from django import forms
from django.core import signing

from . import history
from .audit.trail import as_json
from .models import EDITABLE_FIELDS, User

# Grants too: an admin form drawn before a group was revoked must not re-grant it.
VERSIONED_FIELDS = frozenset({*EDITABLE_FIELDS, "groups", "user_permissions"})
OUT_OF_DATE = "This form is out of date: reload the page and edit again."
VERSION_SALT = "users.forms.version"  # kept: tokens in open forms stay valid


def version_token(user: User) -> str:
    """The user as the editor sees it: when it was saved, and its values.

    Signed, so a hand-made or truncated version is refused rather than parsed.
    """
    values = {name: _comparable(getattr(user, name)) for name in VERSIONED_FIELDS}
    return signing.dumps(
        {"at": user.updated_at.isoformat(), "values": values},
        salt=VERSION_SALT,
        compress=True,
    )


class VersionedFormMixin:
    """A hidden `version` (the user's updated_at and values when the form was
    drawn). Saving over someone else's newer change is refused; the form then
    shows their values merged with the editor's own changes, so that saving
    again can never undo a change the editor did not make."""

    original_values: dict = {}

    def set_version(self) -> None:
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = version_token(self.instance)

    def clean_version(self) -> datetime | None:
        if not self.instance.pk:
            return None
        try:
            token = signing.loads(
                self.cleaned_data.get("version") or "", salt=VERSION_SALT
            )
            version = _moment(token["at"])
            self.original_values = dict(token["values"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise forms.ValidationError(OUT_OF_DATE) from None
        return version

    def show_stale(self, current: User, events) -> None:
        """Refuse the save, and redraw the form on top of current."""
        both = self._merge(current)
        self.add_error(None, stale_message(events))
        for name in both:
            theirs = _comparable(getattr(current, name))
            self.add_error(
                name, f"Also changed meanwhile, to {theirs!r}; yours is kept: check it."
            )

    def _merge(self, current: User) -> list[str]:
        """The current values, except where the editor changed a field; returns
        the fields both the editor and someone else changed, differently."""
        data, both = self.data.copy(), []
        for name in sorted(VERSIONED_FIELDS & set(self.fields)):
            original = self.original_values.get(name)
            theirs = _comparable(getattr(current, name))
            if name in self.cleaned_data:
                mine = _comparable(self.cleaned_data[name])
                if mine != original:
                    if theirs not in (original, mine):
                        both.append(name)
                    continue
            _set_value(data, self[name].html_name, theirs)
        data["version"] = version_token(current)
        self.data = data
        return both


def _moment(text: str) -> datetime:
    """The token's time, in UTC: an offset PostgreSQL cannot store (beyond
    ±15:59) never reaches it. No offset, or a moment that leaves the calendar
    when converted to UTC (year 1 at +01:00), raises ValueError."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise ValueError("a version is an aware moment")
    try:
        return moment.astimezone(UTC)
    except OverflowError as error:
        raise ValueError("a version is a moment within the calendar") from error


def _comparable(value):
    """A field's value as the version token keeps it: related objects as ids."""
    if hasattr(value, "all"):  # a related manager, or a queryset from a form
        return sorted(item.pk for item in value.all())
    return as_json(value)


def _set_value(data, key: str, value) -> None:
    if isinstance(value, list):
        data.setlist(key, [str(item) for item in value])
    elif value is True:
        data[key] = "on"
    elif value is False:
        data.pop(key, None)
    else:
        data[key] = value


def stale_message(events) -> str:
    return (
        "Someone else changed this user while you were editing, so nothing was "
        f"saved. Meanwhile: {history.summary(events) or 'a change'}. The form now "
        "shows their values together with your own changes: check it and save "
        "again."
    )


def version_field() -> forms.CharField:
    return forms.CharField(widget=forms.HiddenInput, required=False)
