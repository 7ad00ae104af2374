"""The staff page about another account's second factors: resetting them."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import DetailView

from .. import factors, permissions, services
from ..models import User
from .access import RuleCheckedOnOpenMixin, StaffPermissionRequiredMixin
from .back import BackToListMixin


class UserResetMFAView(
    StaffPermissionRequiredMixin, BackToListMixin, RuleCheckedOnOpenMixin, DetailView
):
    """Confirm, then remove the account's authenticator app and recovery codes:
    it sets up new ones at its next login (its sessions end now)."""

    permission_required = "users.change_user"
    model = User
    context_object_name = "account"
    template_name = "users/user_confirm_mfa_reset.html"

    opening_check = staticmethod(permissions.check_reset_mfa)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"mfa": factors.status(self.object)}

    def post(self, request, *args, **kwargs):
        user = self.get_object()
        try:
            reset = services.user_reset_mfa(actor=request.user, user=user)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect(self.back_to_user(user))
        except services.UserGone as gone:
            messages.error(request, str(gone))
            return redirect(self.back_to_list())
        if reset:
            messages.success(
                request,
                f"Two-factor authentication of {user.username} reset: they set it "
                "up again at their next login.",
            )
        else:
            messages.info(request, f"{user.username} had no two-factor authentication.")
        return redirect(self.back_to_user(user))
