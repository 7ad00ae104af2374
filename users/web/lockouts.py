"""The lockouts page: who is locked out from where, and lifting a lockout."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.views.generic import TemplateView, View

from .. import attempts, permissions, services
from .forms import LockoutLiftForm
from .views import StaffPermissionRequiredMixin, bad_request

MAX_SHOWN = 100  # the latest; the page says how many more there are


class LockoutListView(StaffPermissionRequiredMixin, TemplateView):
    """Lifting a lockout is a change to an account's protection: the page is
    for staff who may change users."""

    permission_required = "users.change_user"
    template_name = "users/lockout_list.html"

    def get_context_data(self, **kwargs):
        lockouts, total = attempts.current_lockouts(MAX_SHOWN)
        rows = [
            {"lockout": lockout, "can_lift": self._can_lift(lockout)}
            for lockout in lockouts
        ]
        return super().get_context_data(**kwargs) | {
            "rows": rows,
            "more": total - len(rows),
            "account_limit": settings.AXES_FAILURE_LIMIT,
            "ip_limit": settings.LOGIN_IP_FAILURE_LIMIT,
            "cool_off_minutes": int(attempts.cool_off().total_seconds() // 60),
        }

    def _can_lift(self, lockout: attempts.Lockout) -> bool:
        protected = attempts.accounts_in(
            attempts.attempts_from(lockout.ip, lockout.key)
        )
        return permissions.can_lift_lockout(self.request.user, protected)


class LockoutLiftView(StaffPermissionRequiredMixin, View):
    permission_required = "users.change_user"
    http_method_names = ["post"]

    def post(self, request):
        form = LockoutLiftForm(request.POST)
        if not form.is_valid():
            return bad_request(request, f"Nothing was lifted: {_errors(form)}")
        ip, key = form.cleaned_data["ip"], form.cleaned_data["login_key"]
        label = attempts.lockout_label(key, ip)
        try:
            failures = services.lockout_lift(actor=request.user, ip=ip, login_key=key)
        except PermissionDenied as error:
            messages.error(request, f"The lockout of {label} stays: {error}")
        else:
            if failures:
                messages.success(
                    request,
                    f"Lifted the lockout of {label} ({failures} failed logins).",
                )
            else:
                messages.info(request, f"{label} was no longer locked out.")
        return redirect("users:lockouts")


def _errors(form) -> str:
    return " ".join(
        f"{form.fields[name].label or name}: {' '.join(errors)}"
        for name, errors in form.errors.items()
    )
