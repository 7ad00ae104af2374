"""The login forms of the staff pages and of the admin."""

from axes.helpers import get_client_ip_address
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.forms import AdminPasswordChangeForm as OwnPasswordForm
from django.contrib.auth import authenticate
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.dateformat import format as format_date
from django.utils.timezone import localtime

from .. import attempts, permissions
from ..audit.context import current_request
from ..models import Suspension, User

# The longest email address; usernames are shorter.
LOGIN_MAX_LENGTH = User._meta.get_field("email").max_length
NO_STAFF_ACCESS = (
    "This account cannot use the staff pages: that needs staff status and "
    "permission to view users. Ask a superuser if it should have them."
)


class LoginLengthMixin:
    """Django only sets max_length on the login widget; the validator stops an
    over-long value before it reaches the backends and the lockout records."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label_suffix = ""  # labels sit above their fields
        username = self.fields["username"]
        username.max_length = LOGIN_MAX_LENGTH
        username.widget.attrs["maxlength"] = LOGIN_MAX_LENGTH
        username.validators.append(MaxLengthValidator(LOGIN_MAX_LENGTH))


class OneAttemptAtATimeMixin:
    """The lockout check, the password check and the recording of a failure
    happen one login at a time per client address (attempts.one_attempt_at_a_time),
    so logins sent at once cannot all pass the check before any failure counts."""

    def clean(self):
        address = get_client_ip_address(self.request) if self.request else None
        with attempts.one_attempt_at_a_time(address):
            return super().clean()


class StaffOnlyMixin:
    """Only accounts that may use the staff pages sign in here.

    Anyone else would land on a 403 with nowhere to go; they are told why
    instead, and no session is made. The refusal counts as a failed login
    (user_login_failed, so django-axes records it): each one costs a full
    password hash, and uncounted they would be the one kind of attempt that
    no limit slows down. Only the account's owner (who knows the password)
    ever sees the message, and their refusals count like anyone's.
    """

    def confirm_login_allowed(self, user):
        if not permissions.may_sign_in_to_staff_pages(user):
            user_login_failed.send(
                sender=__name__,
                credentials={"username": self.cleaned_data.get("username")},
                request=self.request,
                refused="no staff access",
            )
            raise ValidationError(NO_STAFF_ACCESS, code="no_staff_access")
        super().confirm_login_allowed(user)


class SuspensionMessageMixin:
    """A suspended account's holder, once their password is right (the
    backend says so on the request), reads why and until when instead of the
    generic failure; a wrong password gets the generic failure as ever."""

    def clean(self):
        try:
            return super().clean()
        except ValidationError as error:
            refused = getattr(self.request, "noogh_refused_account", None)
            suspension = (
                Suspension.objects.filter(user=refused).first() if refused else None
            )
            if suspension is None:
                raise
            raise ValidationError(
                suspended_text(suspension), code="suspended"
            ) from error


def suspended_text(suspension: Suspension) -> str:
    until = ""
    if suspension.until:
        when = localtime(suspension.until)
        until = f" until {format_date(when, 'j F Y, H:i')} ({when.tzname()})"
    text = f"This account is suspended{until}."
    return f"{text} {suspension.message}" if suspension.message else text


class LoginForm(
    OneAttemptAtATimeMixin,
    SuspensionMessageMixin,
    LoginLengthMixin,
    StaffOnlyMixin,
    AuthenticationForm,
):
    """Log in with a username or an email address."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username or email"


class AdminLoginForm(
    OneAttemptAtATimeMixin,
    SuspensionMessageMixin,
    LoginLengthMixin,
    StaffOnlyMixin,
    AdminAuthenticationForm,
):
    pass


class OwnPasswordChangeForm(OwnPasswordForm):
    """Your own password, old one first (the admin's "Change password").

    The old password is checked like a login - django-axes' lockout first, a
    wrong one counted against the account from this address, one at a time -
    or a signed-in session (a stolen cookie) could try passwords of its
    account here without limit. A lockout becomes the 429 page (axes)."""

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        request = current_request()
        address = get_client_ip_address(request) if request else None
        with attempts.one_attempt_at_a_time(address):
            user = authenticate(
                request, username=self.user.get_username(), password=old_password
            )
        if user is None or user.pk != self.user.pk:
            raise ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password
