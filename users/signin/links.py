"""The page an invitation or reset link opens: Django's password-reset
confirmation (token checks, the token kept out of the address bar), with the
new password stored through the services, so it is audited and every other
session of the account ends."""

from django.contrib.auth import views as auth_views
from django.http import HttpResponseRedirect
from django.urls import reverse_lazy

from .. import services


class PasswordLinkView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_link.html"
    success_url = reverse_lazy("password_link_done")

    def form_valid(self, form):
        del self.request.session[auth_views.INTERNAL_RESET_SESSION_TOKEN]
        services.user_change_own_password(
            actor=form.user, password=form.cleaned_data["new_password1"]
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordLinkDoneView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_link_done.html"
