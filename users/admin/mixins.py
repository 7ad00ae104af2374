"""What the admins share: writes through the services, whose late refusals
become messages; lists that filter only the way their own filters do."""

from functools import wraps

from django.contrib import messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation, IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError, transaction
from django.http import HttpResponseRedirect

from .. import services

REFUSALS = (PermissionDenied, ValidationError, services.StaleEdit, services.UserGone)


def refusals_as_messages(view):
    """The forms check the rules for a friendly error; the services check them
    again on locked rows. A refusal from in between (someone else's change, an
    account deleted meanwhile, a duplicate that raced) becomes a message on
    the same page, not a 500."""

    @wraps(view)
    def wrapped(model_admin, request, *args, **kwargs):
        try:
            return view(model_admin, request, *args, **kwargs)
        except REFUSALS as error:
            if type(error) is PermissionDenied and not str(error):
                raise  # the admin's own bare 403
            text = error.messages if isinstance(error, ValidationError) else [error]
            model_admin.message_user(request, " ".join(map(str, text)), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    return wrapped


class ReadOnlyMixin:
    """A record kept by the app itself (the trail, tokens, lockouts): the
    admin shows it and may offer actions, but never adds, edits or deletes."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ActionsOncePerRequestMixin:
    """The admin asks for a list's actions three times a request (whether to
    show the checkbox column, the action menu, the action posted), each time
    checking every action's permissions again: ~0.2 ms of a changelist's CPU.
    Here once per request and place."""

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        asked = request.__dict__.setdefault("_admin_actions", {})
        key = (id(self), action_location)
        if key not in asked:
            asked[key] = super().get_actions(request, action_location=action_location)
        return dict(asked[key])  # the caller's own copy, as before


class DeleteSelectionMixin:
    """Delete a selection one object at a time through delete_model (and so
    through the services), all or nothing: one refusal keeps every object."""

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


# What a filter value the database or its driver refuses raises when the
# query runs: a NUL byte, an offset PostgreSQL cannot store, a date that
# overflows when converted to UTC. (Not OperationalError: a database outage
# stays the 503 page.)
REFUSED_VALUES = (DataError, ValueError, TypeError, OverflowError, IndexError)


class FilteredOnlyChangeList(ChangeList):
    """A change list that filters only through its list filters and search.

    Django's admin applies any lookup on the model's own fields found in the
    query string (?email__regex=(, ?id__range=1, ?created_at__year=99999999999),
    and one the database refuses fails when the page is drawn: a 500. Here a
    parameter that no list filter claims is an invalid lookup, and so is a
    filter value the database refuses - both raise IncorrectLookupParameters,
    for which the admin redirects to the bare list with ?e=1.
    """

    def get_filters(self, request):
        try:
            filters = super().get_filters(request)
        except OverflowError as error:
            # A date hierarchy year past C's int (?attempt_time__year=
            # 99999999999): Django catches ValueError there, not this.
            raise IncorrectLookupParameters(error) from error
        unclaimed = set(filters[2]) - self._date_hierarchy_parameters()
        if unclaimed:
            raise IncorrectLookupParameters(
                f"Cannot filter by {', '.join(sorted(unclaimed))}."
            )
        return filters

    def get_results(self, request):
        # The count runs the filtered query first; in a savepoint, so that a
        # refused one leaves any surrounding transaction usable.
        try:
            with transaction.atomic(using=self.queryset.db):
                super().get_results(request)
        except REFUSED_VALUES as error:
            raise IncorrectLookupParameters(error) from error

    def _date_hierarchy_parameters(self) -> set[str]:
        field = self.date_hierarchy
        return {f"{field}__gte", f"{field}__lt"} if field else set()


class FilteredOnlyMixin:
    """ModelAdmin lists with FilteredOnlyChangeList, whose actions run only on
    a selection of ids."""

    def get_changelist(self, request, **kwargs):
        return FilteredOnlyChangeList

    def response_action(self, request, queryset, **kwargs):
        # Django filters pk__in=<the posted values> and the query fails as it
        # runs ("1.0", a NUL, 30 digits): a 500. The list only sends ids.
        selected = request.POST.getlist(helpers.ACTION_CHECKBOX_NAME)
        if not all(_is_id(value) for value in selected):
            message = "Select items from the list: these are not ids."
            self.message_user(request, message, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())
        return super().response_action(request, queryset, **kwargs)


def _is_id(value: str) -> bool:
    return value.isascii() and value.isdigit() and len(value) <= 18
