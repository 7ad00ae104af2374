"""Suspending an account, lifting its suspension, and when its access ends."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import View
from django.views.generic.detail import SingleObjectMixin

from .. import permissions, services
from ..models import Suspension, User
from ..suspension import MAX_TEXT
from .access import AccountFormView, StaffPermissionRequiredMixin
from .back import BackToListMixin

WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _future(value):
    # The service says it again under lock; here it is a field error at once.
    services.check_end_date(value)
    return value


class SuspendForm(forms.Form):
    reason = forms.ChoiceField(
        label="Reason", choices=[("", "Choose…"), *Suspension.Reason.choices]
    )
    note = forms.CharField(
        label="Details",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For staff: a ticket number, what happened. "
        "Required for another reason.",
    )
    until = forms.DateTimeField(
        label="Until",
        required=False,
        widget=WHEN,
        help_text="Leave empty to suspend until someone lifts it. "
        f"Times are in {timezone.get_default_timezone_name()}.",
    )
    message = forms.CharField(
        label="Message at login",
        required=False,
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What the account holder reads at login, "
        "once their password is right.",
    )

    def clean_until(self):
        return _future(self.cleaned_data["until"])

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("reason") == "other" and not cleaned.get("note"):
            self.add_error("note", "Say which reason.")
        return cleaned


class ActiveUntilForm(forms.Form):
    active_until = forms.DateTimeField(
        label="Active until",
        required=False,
        widget=WHEN,
        help_text="The account is deactivated then. Leave empty for no end. "
        f"Times are in {timezone.get_default_timezone_name()}.",
    )

    def clean_active_until(self):
        return _future(self.cleaned_data["active_until"])


def service_errors(view, form, call):
    """Run a service; its refusals and field errors land on the form."""
    try:
        call()
    except PermissionDenied as error:
        form.add_error(None, str(error))
    except ValidationError as error:
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    except services.UserGone as gone:
        messages.error(view.request, str(gone))
        return redirect("users:list")
    else:
        return None
    return view.form_invalid(form)


class UserSuspendView(AccountFormView):
    form_class = SuspendForm
    template_name = "users/user_suspend.html"
    opening_check = staticmethod(permissions.check_suspend)

    def get_initial(self):
        current = Suspension.objects.filter(user=self.object).first()
        if current is None:
            return {}
        return {name: getattr(current, name) for name in SuspendForm.base_fields}

    def form_valid(self, form):
        refused = service_errors(
            self,
            form,
            lambda: services.user_suspend(
                actor=self.request.user, user=self.object, **form.cleaned_data
            ),
        )
        if refused:
            return refused
        messages.success(self.request, f"{self.object.username} is suspended.")
        return redirect(self.back_to_user(self.object))


class UserActiveUntilView(AccountFormView):
    form_class = ActiveUntilForm
    template_name = "users/user_active_until.html"
    opening_check = staticmethod(permissions.check_set_active_until)

    def get_initial(self):
        return {"active_until": self.object.active_until}

    def form_valid(self, form):
        when = form.cleaned_data["active_until"]
        refused = service_errors(
            self,
            form,
            lambda: services.user_set_active_until(
                actor=self.request.user, user=self.object, active_until=when
            ),
        )
        if refused:
            return refused
        said = "no end" if when is None else "an end of access"
        messages.success(self.request, f"{self.object.username} now has {said}.")
        return redirect(self.back_to_user(self.object))


class UserLiftSuspensionView(
    StaffPermissionRequiredMixin, BackToListMixin, SingleObjectMixin, View
):
    permission_required = "users.change_user"
    http_method_names = ["post"]
    model = User

    def post(self, request, *args, **kwargs):
        user = self.get_object()
        try:
            services.user_lift_suspension(actor=request.user, user=user)
        except PermissionDenied as error:
            messages.error(request, str(error))
        except services.UserGone as gone:
            messages.error(request, str(gone))
            return redirect("users:list")
        else:
            messages.success(request, f"Lifted the suspension of {user.username}.")
        return redirect(self.back_to_user(user))
