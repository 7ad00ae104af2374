"""The subject-access download on a user's page: everything stored about
the account, as JSON (users.personal_data)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import View
from django.views.generic.detail import SingleObjectMixin

from .. import services
from ..export import personal_data_response
from ..models import User
from .access import StaffPermissionRequiredMixin


class UserPersonalDataView(StaffPermissionRequiredMixin, SingleObjectMixin, View):
    permission_required = "users.change_user"
    model = User

    def get(self, request, *args, **kwargs):
        user = self.get_object()
        try:
            chunks = services.user_export_personal_data(actor=request.user, user=user)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect(user.get_absolute_url())
        except services.UserGone as gone:
            messages.error(request, str(gone))
            return redirect("users:list")
        return personal_data_response(chunks, user)

    def head(self, request, *args, **kwargs):  # headers only: not an export
        return personal_data_response([], self.get_object())
