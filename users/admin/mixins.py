"""What the user and group admins share: writes through the services, whose
late refusals become messages."""

from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
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


class DeleteSelectionMixin:
    """Delete a selection one object at a time through delete_model (and so
    through the services), all or nothing: one refusal keeps every object."""

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)
