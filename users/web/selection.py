"""What the list's bulk form posts: the action, which accounts (ticked rows,
the whole page, or all matching the search) and the list's own query string,
validated in one form before anything is read or changed."""

from django import forms
from django.conf import settings
from django.db.models import QuerySet
from django.http import QueryDict

from .. import permissions

# action: (button label, past tense for the result, permission it takes).
ACTIONS = {
    "activate": ("Activate", "Activated", "users.change_user"),
    "deactivate": ("Deactivate", "Deactivated", "users.change_user"),
    "end_sessions": ("End sessions", "Ended the sessions of", "users.change_user"),
    "export": ("Export", "Exported", "users.view_user"),
    "delete": ("Delete", "Deleted", "users.delete_user"),
}
SCOPES = [
    ("ticked", "Ticked accounts"),
    ("page", "Every account on this page"),
    ("matching", "All matching this search"),
]
# What the result page can undo (users.services.bulk.REVERSE).
UNDOABLE = ("activate", "deactivate")
# The largest id a bigint column holds: past it no account can be meant.
MAX_ID = 2**63 - 1
NOTHING_TICKED = "nothing_ticked"


def offered_actions(user) -> list[tuple[str, str]]:
    """The bulk actions this user's permissions allow, as (value, label)."""
    return [
        (action, label)
        for action, (label, _, permission) in ACTIONS.items()
        if permissions.may_use_staff_page(user, permission)
    ]


class AccountIdsField(forms.Field):
    """Any number of account ids (a checkbox each), each a positive integer;
    repeats count once. More than BULK_MAX_SELECTED is refused."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        values = value or []
        if not isinstance(values, list | tuple):
            values = [values]
        if len(values) > settings.BULK_MAX_SELECTED:
            raise forms.ValidationError(
                f"At most {settings.BULK_MAX_SELECTED:,} accounts can be ticked at "
                "once; choose “all matching this search” instead.",
                code="too_many",
            )
        ids = set()
        for item in values:
            text = str(item).strip()
            if not (text.isascii() and text.isdigit()) or not 0 < int(text) <= MAX_ID:
                raise forms.ValidationError(
                    "“%(value)s” is not an account id.",
                    code="invalid",
                    params={"value": text[:20]},
                )
            ids.add(int(text))
        return sorted(ids)


class BulkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(name, label) for name, (label, _, _) in ACTIONS.items()]
    )
    scope = forms.ChoiceField(choices=SCOPES, required=False)
    id = AccountIdsField(required=False)
    page_id = AccountIdsField(required=False)
    # The list's own query string: the search the selection was made in.
    query = forms.CharField(required=False, max_length=2000, strip=False)
    # The number of accounts the person confirmed (all matching only).
    expected = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID)
    confirm = forms.BooleanField(required=False)

    def clean_scope(self) -> str:
        return self.cleaned_data["scope"] or "ticked"

    def clean(self):
        cleaned = super().clean()
        scope = cleaned.get("scope")
        if scope == "ticked" and "id" in cleaned and not cleaned["id"]:
            self.add_error(
                "id",
                forms.ValidationError(
                    "Tick at least one account first, or choose “all matching "
                    "this search”.",
                    code=NOTHING_TICKED,
                ),
            )
        return cleaned

    def nothing_ticked(self) -> bool:
        """The only thing wrong is an empty selection: a slip, not an attack."""
        return list(self.errors) == ["id"] and self.has_error("id", NOTHING_TICKED)

    @property
    def list_query(self) -> QueryDict:
        return QueryDict(self.cleaned_data.get("query") or "")

    @property
    def ids(self) -> list[int]:
        scope = self.cleaned_data["scope"]
        return self.cleaned_data["page_id" if scope == "page" else "id"]

    def expected_count(self) -> int | None:
        """The most accounts the person meant: the number confirmed (or shown
        beside "all matching" on the list), else the ids ticked."""
        if self.cleaned_data["confirm"] or self.cleaned_data["scope"] == "matching":
            return self.cleaned_data["expected"]
        return len(self.ids)

    def at_once(self) -> bool:
        """Act without a confirmation page: an action that can be undone, on
        at most BULK_AT_ONCE_UP_TO accounts whose number the person saw."""
        expected = self.expected_count()
        return (
            self.cleaned_data["action"] in UNDOABLE
            and expected is not None
            and expected <= settings.BULK_AT_ONCE_UP_TO
        )

    def selection(self, matching: QuerySet) -> QuerySet:
        """The chosen accounts among those the list's search matches now: a
        ticked id that no longer matches (or never existed) selects nothing."""
        if self.cleaned_data["scope"] == "matching":
            return matching
        return matching.filter(pk__in=self.ids)

    def errors_text(self) -> str:
        return " ".join(
            " ".join(errors) if name == "__all__" else f"{name}: {' '.join(errors)}"
            for name, errors in self.errors.items()
        )
