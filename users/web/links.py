"""Sending a password link from a user's page (the invitation is part of the
create page): the mail server's answer, good or bad, becomes a message."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import View
from django.views.generic.detail import SingleObjectMixin

from .. import mail, services
from ..models import User
from .access import StaffPermissionRequiredMixin

MAIL_ERRORS = mail.MAIL_ERRORS


def link_base(request) -> str:
    """Links point at SITE_URL when set, else at the address staff are on."""
    return settings.SITE_URL or request.build_absolute_uri("/")


def mail_failed(request, error: Exception) -> None:
    messages.error(
        request,
        f"The e-mail could not be sent ({error.__class__.__name__}); nothing was "
        "changed. Try again, or tell whoever runs the mail server (EMAIL_URL).",
    )


class UserPasswordLinkView(StaffPermissionRequiredMixin, SingleObjectMixin, View):
    permission_required = "users.change_user"
    http_method_names = ["post"]
    model = User

    def post(self, request, *args, **kwargs):
        user = self.get_object()
        try:
            services.user_send_password_link(
                actor=request.user, user=user, base_url=link_base(request)
            )
        except PermissionDenied as error:
            messages.error(request, str(error))
        except services.UserGone as gone:
            messages.error(request, str(gone))
            return redirect("users:list")
        except MAIL_ERRORS as error:
            mail_failed(request, error)
        else:
            messages.success(
                request, f"Sent a link to set the password to {user.email}."
            )
        return redirect(user.get_absolute_url())
