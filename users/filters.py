"""The list's search form: every GET parameter of /users/ and /users/export.csv."""

from datetime import date, datetime, time, timedelta

import django_filters
from django import forms
from django.utils import timezone

from .managers import MIN_SUBSTRING_TERM, UserQuerySet
from .models import User

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
YES_NO = [("true", "Yes"), ("false", "No")]
SEARCH_HELP = (
    f"Name, email or username, ignoring case. {MIN_SUBSTRING_TERM} or more "
    "characters match anywhere; 1–2 characters match the start of a field; "
    "a complete email address finds exactly that account."
)


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class UserFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        after, before = cleaned.get("created_after"), cleaned.get("created_before")
        if after and before and after > before:
            self.add_error(
                "created_before", "Must be on or after the “created after” date."
            )
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
    # Applied by the paginator, which needs to know the sort column.
    ordering = django_filters.ChoiceFilter(
        label="Sort by",
        choices=ORDERING_CHOICES,
        method="keep",
        empty_label=None,
        null_label=None,
    )

    class Meta:
        model = User
        fields = []
        form = UserFilterForm

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

    def keep(self, queryset, name, value):
        return queryset

    @property
    def sort_order(self) -> str:
        self.errors  # noqa: B018 - validates the form so cleaned_data exists
        return self.form.cleaned_data.get("ordering") or DEFAULT_ORDERING

    @property
    def is_filtered(self) -> bool:
        self.errors  # noqa: B018
        return any(
            value not in (None, "")
            for name, value in self.form.cleaned_data.items()
            if name != "ordering"
        )
