"""Erasing an account's personal data: a typed confirmation, a stated basis."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.shortcuts import redirect
from django.views.generic import FormView
from django.views.generic.detail import SingleObjectMixin

from .. import permissions, services
from ..models import User
from .access import StaffPermissionRequiredMixin
from .back import BackToListMixin

BASES = [
    ("", "Choose…"),
    ("request", "The account holder asked to be forgotten"),
    ("retention", "The retention period is over"),
    ("other", "Another basis (say which below)"),
]
MAX_DETAIL = 500


class ErasureForm(forms.Form):
    basis = forms.ChoiceField(label="Basis", choices=BASES)
    detail = forms.CharField(
        label="Details",
        required=False,
        max_length=MAX_DETAIL,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="A ticket number or the request's date; required for another basis.",
    )
    confirm = forms.CharField(
        label="Type the username to confirm",
        help_text="Erasure cannot be undone.",
    )

    def __init__(self, *args, account: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.account = account

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"]
        if typed != self.account.username:
            raise forms.ValidationError(
                "This is not the username; type it exactly as shown."
            )
        return typed

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("basis") == "other" and not cleaned.get("detail"):
            self.add_error("detail", "Say which basis.")
        return cleaned

    def stated_basis(self) -> str:
        label = dict(BASES)[self.cleaned_data["basis"]]
        detail = self.cleaned_data["detail"].strip()
        return f"{label}: {detail}" if detail else label


class UserEraseView(
    StaffPermissionRequiredMixin, BackToListMixin, SingleObjectMixin, FormView
):
    permission_required = "users.delete_user"
    model = User
    context_object_name = "account"
    form_class = ErasureForm
    template_name = "users/user_confirm_erase.html"

    def dispatch(self, request, *args, **kwargs):
        self.object = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, *args, **kwargs):
        try:
            permissions.check_erase(request.user, self.object)
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect(self.back_to_user(self.object))
        return super().get(request, *args, **kwargs)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"account": self.object}

    def form_valid(self, form):
        try:
            erased = services.user_erase(
                actor=self.request.user, user=self.object, basis=form.stated_basis()
            )
        except (PermissionDenied, ImproperlyConfigured) as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        except services.UserGone as gone:
            messages.error(self.request, str(gone))
            return redirect(self.back_to_list())
        messages.success(
            self.request,
            f"Erased the personal data of the account now named {erased.username}.",
        )
        return redirect(self.back_to_user(erased))
