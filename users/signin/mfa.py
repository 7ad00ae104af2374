"""The second-factor pages: set up an authenticator app, pass it at sign-in,
see new recovery codes (once), and one's own security page.

A session changes its account's factors only after passing them (or while it
has none): a stolen password alone cannot swap in the thief's phone.
"""

from base64 import b32encode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.generic import FormView, TemplateView
from django_otp import login as otp_login

from .. import factors, services
from ..audit.context import client_ip
from ..audit.security_log import log_security_event
from .mfa_forms import EnrolForm, VerifyForm
from .qr import qr_data_uri

# The secret being set up stays in the session (not the database) until a code
# proves the app has it; the new recovery codes stay until shown, once.
SETUP_KEY = "_noogh_mfa_setup_key"
NEW_CODES = "_noogh_mfa_new_codes"


def _next(request) -> str:
    """Where to go afterwards: a safe ?next= (or posted next), else the list."""
    target = request.POST.get("next") or request.GET.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        target, {request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else settings.LOGIN_REDIRECT_URL


def _redirect(view_name: str, next_url: str):
    """A redirect to view_name?next=next_url (redirect_to_login builds that)."""
    return redirect_to_login(next_url, reverse(view_name))


def _log(request, event: str, **details) -> None:
    log_security_event(
        event, user=request.user.get_username(), ip=client_ip(), **details
    )


def _signed_in_with(request, device) -> None:
    """Mark the session verified (django-otp) under a new session key, as a
    login does: a key seen before this step is worth nothing after it."""
    otp_login(request, device)
    request.session.cycle_key()


@method_decorator([never_cache, login_required], name="dispatch")
class OwnFactorsView(TemplateView):
    """A page about the signed-in account's own factors: an enrolled account
    must have passed its second factor in this session first."""

    def dispatch(self, request, *args, **kwargs):
        user = request.user
        if not user.is_verified() and factors.is_enrolled(user):
            return _redirect("mfa:verify", request.get_full_path())
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"next": _next(self.request)}


class SetupView(OwnFactorsView, FormView):
    """Scan (or type) a new secret into an authenticator app, then prove it
    with a code; replaces earlier factors and shows new recovery codes."""

    template_name = "registration/mfa_setup.html"
    form_class = EnrolForm

    def get_context_data(self, **kwargs):
        key = self.request.session.get(SETUP_KEY)
        device = factors.unsaved_authenticator(self.request.user, key)
        self.request.session[SETUP_KEY] = device.key
        secret = b32encode(device.bin_key).decode("ascii")
        return super().get_context_data(**kwargs) | {
            "qr_code": qr_data_uri(device.config_url),
            "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
            "replacing": factors.is_enrolled(self.request.user),
        }

    def form_valid(self, form):
        request = self.request
        try:
            enrolled = services.mfa_enrol(
                actor=request.user,
                key=request.session.get(SETUP_KEY, ""),
                code=form.cleaned_data["code"],
                passed=request.user.otp_device,
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        if enrolled is None:
            _log(request, "mfa_failed", factor="setup", reason="invalid")
            form.add_error(
                "code",
                "That code does not match. Check that the app shows noogh's "
                "new entry and that the phone's clock is right, then enter the "
                "code it shows now.",
            )
            return self.form_invalid(form)
        device, codes = enrolled
        del request.session[SETUP_KEY]
        _signed_in_with(request, device)
        request.session[NEW_CODES] = codes
        _log(request, "mfa_enrolled")
        return _redirect("mfa:recovery_codes", _next(request))


class VerifyView(FormView):
    """Pass the second factor: a code from the app, or a recovery code."""

    template_name = "registration/mfa_verify.html"
    form_class = VerifyForm

    @method_decorator([never_cache, login_required])
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_verified():
            return redirect(_next(request))
        if not factors.is_enrolled(request.user):
            return _redirect("mfa:setup", _next(request))
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {"user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {"next": _next(self.request)}

    def form_valid(self, form):
        _signed_in_with(self.request, form.device)
        _log(self.request, "mfa_verified", factor=form.factor)
        return redirect(_next(self.request))

    def form_invalid(self, form):
        if form.failure == "throttled":
            _log(self.request, "mfa_throttled", factor=form.factor)
        elif form.failure:
            _log(self.request, "mfa_failed", factor=form.factor, reason=form.failure)
        status = 429 if form.failure == "throttled" else 200
        return self.render_to_response(self.get_context_data(form=form), status=status)


class RecoveryCodesView(OwnFactorsView):
    """New recovery codes, shown once: the page takes them out of the session."""

    template_name = "registration/mfa_recovery_codes.html"

    def get(self, request, *args, **kwargs):
        codes = request.session.pop(NEW_CODES, None)
        if not codes:
            messages.info(
                request,
                "Recovery codes are shown only once. If you have lost yours, "
                "get new ones here.",
            )
            return redirect("mfa:security")
        codes = [f"{code[:4]}-{code[4:]}" for code in codes]
        return self.render_to_response(self.get_context_data(codes=codes))


class SecurityView(OwnFactorsView):
    """The signed-in account's two-factor status; new recovery codes."""

    template_name = "registration/mfa_security.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(**kwargs) | {
            "status": factors.status(self.request.user),
            "required": settings.MFA_REQUIRED,
        }

    def post(self, request, *args, **kwargs):
        try:
            codes = services.mfa_new_recovery_codes(
                actor=request.user, passed=request.user.otp_device
            )
        except PermissionDenied as error:
            messages.error(request, str(error))
            return redirect("mfa:security")
        request.session[NEW_CODES] = codes
        return redirect("mfa:recovery_codes")
