"""Who may open a staff page: shared by the user pages and the session pages."""

from django.contrib import messages
from django.contrib.auth.mixins import PermissionRequiredMixin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import FormView
from django.views.generic.detail import SingleObjectMixin

from .. import permissions
from ..models import User
from .back import BackToListMixin, user_url


class StaffPermissionRequiredMixin(PermissionRequiredMixin):
    """Anonymous users go to the login page; others need staff status and the
    model permission, or get a 403 page. As in the admin, permission to change
    users includes seeing them."""

    def has_permission(self) -> bool:
        return permissions.may_use_staff_page(
            self.request.user, self.permission_required
        )

    def get_permission_denied_message(self) -> str:
        return permissions.missing_for_staff_page(
            self.request.user, self.permission_required
        )


class RuleCheckedOnOpenMixin:
    """A form the rules would refuse is not shown: the user's page says why."""

    opening_check = None

    def get(self, request, *args, **kwargs):
        self.object = self.get_object()
        try:
            self.opening_check(request.user, self.object)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect(user_url(request, self.object))
        return self.render_to_response(self.get_context_data())


class AccountFormView(
    StaffPermissionRequiredMixin,
    BackToListMixin,
    RuleCheckedOnOpenMixin,
    SingleObjectMixin,
    FormView,
):
    """A form about one account (its password, its groups and permissions),
    shown only when `opening_check` allows it; the pages lead back to the list."""

    permission_required = "users.change_user"
    model = User
    context_object_name = "account"

    def post(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().post(request, *args, **kwargs)
