"""The list's parameters - search, filters, sort order, page size, page token -
validated in one place for the list page and the export (and later the API)."""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone

from .managers import SEARCH_HELP, UserQuerySet
from .models import User
from .pagination import InvalidPageToken, read_token

DEFAULT_ORDERING = "-created_at"
ORDERING_CHOICES = [
    ("-created_at", "Newest first"),
    ("created_at", "Oldest first"),
    ("full_name", "Name A–Z"),
    ("-full_name", "Name Z–A"),
    ("email", "Email A–Z"),
    ("-email", "Email Z–A"),
    ("username", "Username A–Z"),
    ("-username", "Username Z–A"),
]
PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100")]
DEFAULT_PER_PAGE = 25
YES_NO = [("true", "Yes"), ("false", "No")]


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class UserListForm(forms.Form):
    """The parameters that shape the list rather than filter it; the FilterSet
    below adds its filters to this form, so one is_valid() covers them all."""

    ordering = forms.ChoiceField(
        label="Sort by", choices=ORDERING_CHOICES, required=False
    )
    per_page = forms.TypedChoiceField(
        label="Per page",
        choices=PER_PAGE_CHOICES,
        coerce=int,
        required=False,
        empty_value=DEFAULT_PER_PAGE,
    )
    page = forms.CharField(
        label="Page", required=False, max_length=300, widget=forms.HiddenInput
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, label_suffix="", **kwargs)  # labels sit above

    def clean_ordering(self) -> str:
        return self.cleaned_data["ordering"] or DEFAULT_ORDERING

    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("created_after"), cleaned.get("created_before")
        if after and before and after > before:
            self.add_error(
                "created_before", "Must be on or after the “created after” date."
            )
        token, ordering = cleaned.get("page"), cleaned.get("ordering")
        if token and ordering:
            try:
                read_token(token, ordering)
            except InvalidPageToken as error:
                self.add_error("page", str(error))
        return cleaned


class UserFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search", method="filter_search", max_length=200, help_text=SEARCH_HELP
    )
    is_active = django_filters.ChoiceFilter(
        label="Active", choices=YES_NO, method="filter_flag", empty_label="Any"
    )
    is_staff = django_filters.ChoiceFilter(
        label="Staff", choices=YES_NO, method="filter_flag", empty_label="Any"
    )
    is_superuser = django_filters.ChoiceFilter(
        label="Superuser", choices=YES_NO, method="filter_flag", empty_label="Any"
    )
    created_after = django_filters.DateFilter(
        label="Created on or after",
        method="filter_created_after",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    created_before = django_filters.DateFilter(
        label="Created on or before",
        method="filter_created_before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = User
        fields = []
        form = UserListForm

    def get_form_class(self):
        form_class = super().get_form_class()
        # The filters first, then how to show the results.
        form_class.field_order = [*self.filters, "ordering", "per_page"]
        return form_class

    def filter_queryset(self, queryset: UserQuerySet) -> UserQuerySet:
        # The form also holds the parameters that are not filters (ordering, ...).
        for name, value in self.form.cleaned_data.items():
            if name in self.filters:
                queryset = self.filters[name].filter(queryset, value)
        return queryset

    def filter_search(self, queryset: UserQuerySet, name, value) -> UserQuerySet:
        return queryset.search(value)

    def filter_flag(self, queryset: UserQuerySet, name, value) -> UserQuerySet:
        return queryset.filter(**{name: value == "true"})

    def filter_created_after(self, queryset, name, value: date):
        return queryset.filter(created_at__gte=_start_of(value))

    def filter_created_before(self, queryset, name, value: date):
        if value >= date.max:
            return queryset  # every date is on or before the last one
        # The whole day counts; a range on the raw column keeps the index usable.
        return queryset.filter(created_at__lt=_start_of(value + timedelta(days=1)))


class ListParameters:
    """Every GET parameter of the user list, validated once.

    Invalid parameters are refused as a whole (the list answers 400 and shows
    why beside the search form; the export answers 400): a list or a file of
    a different set than the one asked for would mislead.
    """

    def __init__(self, data):
        self.filterset = UserFilter(data, queryset=User.objects.all())
        self.form = self.filterset.form
        self.valid = self.filterset.is_valid()
        cleaned = self.form.cleaned_data
        self.ordering: str = cleaned.get("ordering") or DEFAULT_ORDERING
        self.per_page: int = cleaned.get("per_page") or DEFAULT_PER_PAGE
        self.page_token: str | None = cleaned.get("page") or None
        self.filtered = any(
            cleaned.get(name) not in (None, "") for name in self.filterset.filters
        )

    @property
    def users(self) -> UserQuerySet:
        """The matching users, unsorted (only once the parameters are valid)."""
        if not self.valid:
            raise ValueError("invalid list parameters select no users")
        return self.filterset.qs

    def errors_text(self) -> str:
        """Every error, each after the label of its parameter."""
        return " ".join(
            f"{self._label(name)}{' '.join(errors)}"
            for name, errors in self.form.errors.items()
        )

    def _label(self, name: str) -> str:
        return f"{self.form[name].label}: " if name in self.form.fields else ""
