"""The list's parameters - search, filters, sort order, page size, page token -
validated in one place for the list page and the export (and later the API)."""

from datetime import date, timedelta

import django_filters
from django import forms
from django.contrib.auth.models import Group
from django.http import QueryDict
from django.utils import timezone
from django_filters.constants import EMPTY_VALUES

from .managers.accounts import UserQuerySet
from .managers.search import SEARCH_HELP
from .models import User
from .pagination import InvalidPageToken, read_token
from .periods import PERIOD_CHOICES, day_after, period_range, start_of

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
    ("-last_login", "Latest login first"),
    # Accounts that never logged in come first: they are the stalest.
    ("last_login", "Oldest login first"),
]
# The list's columns; those with a field sort by it.
COLUMNS = [
    ("username", "Username"),
    ("full_name", "Full name"),
    ("email", "Email"),
    (None, "Active"),
    (None, "Staff"),
    (None, "Superuser"),
    ("created_at", "Created"),
    ("last_login", "Last login"),
]
PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100")]
DEFAULT_PER_PAGE = 25
YES_NO = [("true", "Yes"), ("false", "No")]
STATUS_CHOICES = [
    ("active", "Active"),
    ("suspended", "Suspended"),
    ("deactivated", "Deactivated (not suspended)"),
]
STATUS_QUERIES = {
    "active": "active",
    "suspended": "suspended",
    "deactivated": "deactivated_not_suspended",
}
# Active accounts whose access ends within so many days.
EXPIRING_DAYS = {"7d": 7, "30d": 30}
EXPIRING_CHOICES = [("7d", "In the next 7 days"), ("30d", "In the next 30 days")]
# Each date filter: a preset period or a range of days, not both.
# How the list's form groups its fields below the search box: a legend (or
# none) and the fields.
FIELD_GROUPS = [
    (None, ("group", "is_active", "is_staff", "is_superuser")),
    ("Lifecycle", ("status", "expiring")),
    ("Signed up", ("created", "created_after", "created_before")),
    ("Logged in", ("last_login", "last_login_after", "last_login_before")),
    (None, ("ordering", "per_page")),
]
DATE_FILTERS = {
    "created": ("created_after", "created_before"),
    "last_login": ("last_login_after", "last_login_before"),
}


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
        for period, (after_name, before_name) in DATE_FILTERS.items():
            after, before = cleaned.get(after_name), cleaned.get(before_name)
            if after and before and after > before:
                self.add_error(
                    before_name,
                    f"Must be on or after the “{self[after_name].label}” date.",
                )
            if cleaned.get(period) and (after or before):
                # Which one was meant? Guessing would list the wrong people.
                self.add_error(
                    period, "Choose a period or dates, not both (clear one of them)."
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
    group = django_filters.ModelChoiceFilter(
        label="Group",
        queryset=Group.objects.order_by("name"),
        method="filter_group",
        empty_label="Any group",
    )
    status = django_filters.ChoiceFilter(
        label="Status",
        choices=STATUS_CHOICES,
        method="filter_status",
        empty_label="Any",
    )
    expiring = django_filters.ChoiceFilter(
        label="Access ends",
        choices=EXPIRING_CHOICES,
        method="filter_expiring",
        empty_label="Any time or never",
    )
    created = django_filters.ChoiceFilter(
        label="Created",
        choices=PERIOD_CHOICES,
        method="filter_created_period",
        empty_label="Any time",
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
    last_login = django_filters.ChoiceFilter(
        label="Last login",
        choices=[("never", "Never"), *PERIOD_CHOICES],
        method="filter_last_login_period",
        empty_label="Any time",
    )
    last_login_after = django_filters.DateFilter(
        label="Last login on or after",
        method="filter_last_login_after",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    last_login_before = django_filters.DateFilter(
        label="Last login on or before",
        method="filter_last_login_before",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = User
        fields = []
        form = UserListForm

    # Every filter here calls a method of this class by name (filter_queryset
    # below calls it): they hold nothing per request. So each list request
    # shares the declared filters and one form class, instead of django-filter's
    # deep copy of every filter (choices, widgets, the group queryset) and a new
    # form class with new fields - a tenth of the list page's CPU. Each form
    # still copies its fields (Django's BaseForm does).
    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        self.is_bound = data is not None
        self.data = data or QueryDict()
        self.queryset = queryset if queryset is not None else User.objects.all()
        self.request = request
        self.form_prefix = prefix
        self.filters = self.base_filters

    @classmethod
    def form_class(cls) -> type[UserListForm]:
        """The form of these filters and the list's other parameters, built once."""
        if "_form_class" not in cls.__dict__:
            fields = {name: filter_.field for name, filter_ in cls.base_filters.items()}
            form_class = type(f"{cls.__name__}Form", (cls._meta.form,), fields)
            # The filters first, then how to show the results.
            form_class.field_order = [*cls.base_filters, "ordering", "per_page"]
            cls._form_class = form_class
        return cls._form_class

    def get_form_class(self):
        return self.form_class()

    def filter_queryset(self, queryset: UserQuerySet) -> UserQuerySet:
        # The form also holds the parameters that are not filters (ordering, ...).
        for name, value in self.form.cleaned_data.items():
            if name in self.filters and value not in EMPTY_VALUES:
                method = getattr(self, self.filters[name].method)
                queryset = method(queryset, name, value)
        return queryset

    def filter_search(self, queryset: UserQuerySet, name, value) -> UserQuerySet:
        return queryset.search(value)

    def filter_flag(self, queryset: UserQuerySet, name, value) -> UserQuerySet:
        return queryset.filter(**{name: value == "true"})

    def filter_status(self, queryset: UserQuerySet, name, value: str):
        return getattr(queryset, STATUS_QUERIES[value])()

    def filter_expiring(self, queryset: UserQuerySet, name, value: str):
        now = timezone.now()
        return queryset.expiring_between(now, now + timedelta(EXPIRING_DAYS[value]))

    def filter_group(self, queryset: UserQuerySet, name, value: Group):
        return queryset.in_group(value.pk)

    # A range on the raw column (or the last-login expression) keeps the
    # index usable; "before" days count whole.
    def filter_created_period(self, queryset, name, value: str):
        start, end = period_range(value)
        queryset = queryset.filter(created_at__gte=start)
        return queryset.filter(created_at__lt=end) if end else queryset

    def filter_created_after(self, queryset, name, value: date):
        return queryset.filter(created_at__gte=start_of(value))

    def filter_created_before(self, queryset, name, value: date):
        end = day_after(value)
        return queryset.filter(created_at__lt=end) if end else queryset

    def filter_last_login_period(self, queryset: UserQuerySet, name, value: str):
        if value == "never":
            return queryset.never_logged_in()
        return queryset.last_login_between(*period_range(value))

    def filter_last_login_after(self, queryset: UserQuerySet, name, value: date):
        return queryset.last_login_between(start=start_of(value))

    def filter_last_login_before(self, queryset: UserQuerySet, name, value: date):
        return queryset.last_login_between(end=day_after(value))


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
        chosen = [
            name
            for name in self.filterset.filters
            if cleaned.get(name) not in (None, "")
        ]
        self.filtered = bool(chosen)
        # The filters beyond the search box sit in a disclosure (closed on a
        # phone): open when one is set or something needs correcting.
        self.filters_open = not self.valid or any(name != "q" for name in chosen)

    def field_groups(self) -> list[tuple[str | None, list]]:
        """The form's fields below the search box, grouped (FIELD_GROUPS)."""
        return [
            (legend, [self.form[name] for name in names])
            for legend, names in FIELD_GROUPS
        ]

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


def sort_columns(ordering: str) -> list[dict]:
    """The columns with the ordering a click on each header asks for."""
    columns = []
    for field, label in COLUMNS:
        column = {"label": label, "field": field}
        if field:
            column["next_ordering"] = f"-{field}" if ordering == field else field
            column["aria_sort"] = {field: "ascending", f"-{field}": "descending"}.get(
                ordering, "none"
            )
        columns.append(column)
    return columns
