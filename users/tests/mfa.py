"""For the second-factor tests: an account enrolled through the service, and
codes computed from its secret as an authenticator app computes them."""

import time

from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice, default_key

from users import services

STEP = 30  # seconds per code (django-otp's default, as in authenticator apps)


def code_for(key: bytes | str | TOTPDevice, steps_from_now: int = 0) -> str:
    """The 6-digit code of `key` (raw bytes, hex, or a device) at a time step
    from now: -1 is the previous code, 1 the next."""
    if isinstance(key, TOTPDevice):
        key = key.bin_key
    elif isinstance(key, str):
        key = bytes.fromhex(key)
    totp = TOTP(key, step=STEP)
    totp.time = time.time() + steps_from_now * STEP
    return f"{totp.token():06d}"


def wrong_code_for(device: TOTPDevice) -> str:
    """A code no time step near now accepts."""
    valid = {code_for(device, steps) for steps in (-2, -1, 0, 1, 2)}
    return next(code for code in ("123456", "654321", "000000") if code not in valid)


def enrol(user) -> tuple[TOTPDevice, list[str]]:
    """Set up user's authenticator app through the service, confirming it with
    the previous step's code, so that the current code is still unused."""
    # Not in the last second of a step: the previous code must still be
    # within the one-step tolerance when the service checks it.
    if STEP - time.time() % STEP < 1.5:
        time.sleep(STEP - time.time() % STEP)
    key = default_key()
    device, codes = services.mfa_enrol(actor=user, key=key, code=code_for(key, -1))
    return device, codes


def verified_client(user, device: TOTPDevice | None = None) -> Client:
    """A client signed in as user that has passed its second factor."""
    device = device or enrol(user)[0]
    client = Client()
    client.force_login(user)
    response = client.post(reverse("mfa:verify"), {"code": code_for(device)})
    assert response.status_code == 302, response.content.decode()[:500]
    return client
