"""The forms of the second-factor pages: a code that proves a new authenticator
app works, and a code (from the app, or a recovery code) that passes sign-in."""

import math
import re

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.models import Device
from django_otp.oath import TOTP

from .. import factors, services

# Long enough for any code typed with spaces or dashes; a longer value is an
# error before any device is asked.
CODE_MAX_LENGTH = 32
# An authenticator code is six digits; a recovery code is eight characters of
# base32 (django-otp's StaticToken.random_token: letters and 2-7). The shape
# says which device to ask, so a recovery code never counts as a wrong
# authenticator code (each device slows its own wrong guesses down).
AUTHENTICATOR_CODE = re.compile(r"[0-9]{6}", re.ASCII)
RECOVERY_CODE = re.compile(r"[a-z2-7]{8}", re.ASCII)
SEPARATORS = re.compile(r"[\s-]+")
FAILURES = {
    "invalid": "That code is not valid. Enter the code your app shows now.",
    "replayed": "That code was already used: each code works once. Wait for "
    "your app to show the next one.",
    "used_up": "That recovery code is not valid; each recovery code works once.",
}


class CodeField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=CODE_MAX_LENGTH, strip=True, **kwargs)

    def widget_attrs(self, widget):
        # autocomplete lets a password manager or the phone fill the code in.
        return super().widget_attrs(widget) | {
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        }

    def to_python(self, value):
        return SEPARATORS.sub("", super().to_python(value)).lower()


class EnrolForm(forms.Form):
    """The first code from a new authenticator app."""

    code = CodeField(
        label="Code from the app",
        help_text="The 6-digit code your authenticator app shows for noogh.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.fields["code"].widget.attrs["inputmode"] = "numeric"

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if not AUTHENTICATOR_CODE.fullmatch(code):
            raise ValidationError("Enter the 6 digits your authenticator app shows.")
        return code


class VerifyForm(forms.Form):
    """A code that passes sign-in; checked against the account's devices by
    django-otp, which refuses a code already used and slows wrong ones down."""

    code = CodeField(
        label="Authentication code",
        help_text="The 6-digit code from your authenticator app, or one of your "
        "recovery codes.",
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""
        self.user = user
        self.device = None  # the device that accepted the code
        self.factor = None  # "authenticator" or "recovery"
        self.failure = None  # a key of FAILURES, or "throttled"

    def clean_code(self) -> str:
        code = self.cleaned_data["code"]
        if AUTHENTICATOR_CODE.fullmatch(code):
            self.factor, device = "authenticator", factors.authenticator(self.user)
        elif RECOVERY_CODE.fullmatch(code):
            self.factor, device = "recovery", factors.recovery_device(self.user)
        else:
            raise ValidationError(
                "Enter the 6-digit code from your authenticator app, or a "
                "recovery code (8 letters and digits)."
            )
        if device is None:
            self._fail("invalid")
        services.mfa_cap_failures(device)
        self._refuse_if_throttled(device)  # before waiting for the lock
        self.device = self._verify(device, code)
        return code

    def _verify(self, device, code: str):
        """django_otp.verify_token, with the delay judged again on the locked
        row: two requests cannot both spend one code, and a code that waited
        for the lock behind a wrong one is told to wait - not, by asking the
        app's algorithm why it was refused, whether it was right."""
        with transaction.atomic():
            locked = Device.from_persistent_id(device.persistent_id, for_verify=True)
            if locked is None or locked.user_id != self.user.pk:
                self._fail("invalid")
            self._refuse_if_throttled(locked)
            if locked.verify_token(code):
                return locked
            services.mfa_cap_failures(locked)
            failure = self._why_refused(locked, code)
        # Raised after the commit: django-otp counted this wrong code.
        self._fail(failure)

    def _refuse_if_throttled(self, device) -> None:
        allowed, details = device.verify_is_allowed()
        if allowed:
            return
        self.failure = "throttled"
        left = (details["locked_until"] - timezone.now()).total_seconds()
        seconds = max(1, math.ceil(left))
        wait = "1 second" if seconds == 1 else f"{seconds} seconds"
        raise ValidationError(
            f"Too many wrong codes. Wait {wait}, then try again.", code="throttled"
        )

    def _why_refused(self, device, code: str) -> str:
        if self.factor == "recovery":
            return "used_up"
        # A code of this device's recent time steps that django-otp refused
        # all the same, not for the delay (judged on the locked row first),
        # was used already (it accepts each step once, last_t).
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
        totp.drift = device.drift
        return "replayed" if totp.verify(int(code), device.tolerance) else "invalid"

    def _fail(self, failure: str):
        self.failure = failure
        raise ValidationError(FAILURES[failure], code=failure)
