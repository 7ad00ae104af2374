"""E-mail to account holders: an invitation to set a first password, a link
to reset one, and the dormant-account policy's warning. Django's token
generator makes the password links: single use (the token covers the
password hash and the last login, which setting a password changes) and
valid for PASSWORD_RESET_TIMEOUT seconds."""

import smtplib
from datetime import datetime

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import User

# What sending raises when the mail server is down, refuses or times out.
MAIL_ERRORS = (OSError, smtplib.SMTPException)


def password_link(user: User, base_url: str) -> str:
    """The absolute address at which user sets a password, once."""
    path = reverse(
        "password_link",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return base_url.rstrip("/") + path


def is_invitation(user: User) -> bool:
    """Never had a usable password: the link sets the first one."""
    return not user.has_usable_password()


def send_password_link(user: User, base_url: str) -> None:
    """Send the link; an unreachable mail server raises (OSError, SMTPException)."""
    context = {
        "user": user,
        "link": password_link(user, base_url),
        "invitation": is_invitation(user),
        "hours": settings.PASSWORD_RESET_TIMEOUT // 3600,
    }
    subject = (
        "You are invited: set your password"
        if context["invitation"]
        else "Reset your password"
    )
    EmailMessage(
        subject=subject,
        body=render_to_string("registration/password_link_email.txt", context),
        to=[user.email],
    ).send()


def dormancy_warning(
    user: User, *, idle_since: datetime, deadline: datetime
) -> EmailMessage:
    """The warning that user's account is about to be deactivated as dormant
    (users.services.dormancy); signing in before `deadline` keeps it."""
    context = {
        "user": user,
        "idle_since": idle_since,
        "deadline": deadline,
        "link": settings.SITE_URL.rstrip("/") + reverse("login"),
    }
    return EmailMessage(
        subject="Your account will be deactivated: sign in to keep it",
        body=render_to_string("registration/dormant_warning_email.txt", context),
        to=[user.email],
    )
