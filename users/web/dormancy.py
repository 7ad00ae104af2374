"""The dormant-account policy's pages: the preview (/users/dormant/: who a
lifecycle run would deactivate or warn now, a sample, the CSV of exactly
those) and an account's exemption (/users/<id>/dormancy-exemption/)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import TemplateView, View

from .. import permissions, services
from ..dormancy import MAX_NOTE
from ..export import EXPORT_FIELDS, csv_download
from ..managers.dormancy import DormancyPolicy
from ..models import DormancyExemption, User
from .access import AccountFormView, StaffPermissionRequiredMixin
from .lifecycle import service_errors

SAMPLE = 20


class DormantPreviewView(StaffPermissionRequiredMixin, TemplateView):
    permission_required = "users.view_user"
    template_name = "users/dormant_preview.html"

    def get_context_data(self, **kwargs):
        now, policy = timezone.now(), DormancyPolicy.from_settings()
        dormant = User.objects.dormant(policy, now)
        warned = User.objects.due_warning(policy, now)
        context = {"policy": policy, "now": now}
        if policy.enabled:
            context |= {
                "cutoff": policy.deactivate_before(now),
                "count": dormant.count(),
                "sample": list(dormant.order_by("idle_since", "pk")[:SAMPLE]),
                "warn_count": warned.count() if policy.warns else 0,
                "exempt_count": DormancyExemption.objects.count(),
            }
        return super().get_context_data(**kwargs) | context


class DormantExportView(StaffPermissionRequiredMixin, View):
    """Exactly the accounts a run now would deactivate, as the list's CSV
    (formula-safe cells); recorded as an export."""

    permission_required = "users.view_user"

    def get(self, request):
        policy = DormancyPolicy.from_settings()
        rows = services.users_export(
            User.objects.dormant(policy, timezone.now()),
            fields=EXPORT_FIELDS,
            ordering="last_login",
            actor=request.user,
            filters=services.dormancy.PREVIEW_EXPORT,
        )
        return csv_download(rows)

    def head(self, request):  # the headers only: not an export, not audited
        return csv_download(())


class ExemptionForm(forms.Form):
    exempt = forms.BooleanField(
        label="Exempt from the dormant-account policy",
        required=False,
        help_text="The account is never deactivated for lack of logins.",
    )
    note = forms.CharField(
        label="Why",
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For staff: a ticket number, a service account's purpose.",
    )


class UserDormancyExemptionView(AccountFormView):
    form_class = ExemptionForm
    template_name = "users/user_dormancy_exemption.html"
    opening_check = staticmethod(permissions.check_set_dormancy_exemption)

    def get_initial(self):
        current = DormancyExemption.objects.filter(user=self.object).first()
        return {"exempt": current is not None, "note": current.note if current else ""}

    def form_valid(self, form):
        exempt = form.cleaned_data["exempt"]
        refused = service_errors(
            self,
            form,
            lambda: services.user_set_dormancy_exemption(
                actor=self.request.user,
                user=self.object,
                exempt=exempt,
                note=form.cleaned_data["note"] if exempt else "",
            ),
        )
        if refused:
            return refused
        said = "is exempt from" if exempt else "is subject to"
        name = self.object.username
        messages.success(self.request, f"{name} {said} the dormant-account policy.")
        return redirect(self.back_to_user(self.object))
