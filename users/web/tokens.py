"""Your personal API tokens at /accounts/tokens/: make one (named, with an
expiry), see it once, list them, revoke one. For active staff who may see
users (those the API serves); the MFA gate has already had this session pass
its second factor wherever one is required or set up, and the service checks
that again.

A new token's plaintext waits in the session until the list shows it, once
(as new recovery codes do): a reload does not make a second token, and the
token is never in a URL.
"""

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import path
from django.views.generic import FormView, View

from .. import factors, services, tokens
from ..models import ApiToken
from .access import StaffPermissionRequiredMixin

app_name = "tokens"
NEW_TOKEN = "noogh_new_api_token"
LIFETIMES = [(7, "7 days"), (30, "30 days"), (90, "90 days"), (365, "1 year")]


class TokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What the token is for, e.g. “nightly sync”.",
    )
    lifetime = forms.TypedChoiceField(
        label="Expires after", choices=LIFETIMES, coerce=int, initial=30
    )


class _TokenPage(StaffPermissionRequiredMixin):
    # Those the API serves (users.api.auth): who may open the user list.
    permission_required = "users.view_user"


class TokenListView(_TokenPage, FormView):
    template_name = "users/api_tokens.html"
    form_class = TokenForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        return context | {
            "tokens": tokens.tokens_of(self.request.user),
            "new_token": self.request.session.pop(NEW_TOKEN, None),
        }

    def form_valid(self, form):
        user = self.request.user
        try:
            token, plaintext = services.token_create(
                actor=user,
                name=form.cleaned_data["name"],
                lifetime=timedelta(days=form.cleaned_data["lifetime"]),
                enrolled=factors.is_enrolled(user),
                passed_second_factor=user.is_verified(),
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        self.request.session[NEW_TOKEN] = {"name": token.name, "value": plaintext}
        return redirect("tokens:list")


class TokenRevokeView(_TokenPage, View):
    http_method_names = ["post"]

    def post(self, request, pk: int):
        token = get_object_or_404(ApiToken, pk=pk, user=request.user)
        try:
            revoked = services.token_revoke(actor=request.user, token=token)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect("tokens:list")
        if revoked:
            messages.success(request, f"Revoked the token “{token.name}”.")
        else:
            messages.info(request, f"The token “{token.name}” was already revoked.")
        return redirect("tokens:list")


urlpatterns = [
    path("", TokenListView.as_view(), name="list"),
    path("<int:pk>/revoke/", TokenRevokeView.as_view(), name="revoke"),
]
