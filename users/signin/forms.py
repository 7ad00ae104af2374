"""The login forms of the staff pages and of the admin."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from ..models import User

# The longest email address; usernames are shorter.
LOGIN_MAX_LENGTH = User._meta.get_field("email").max_length


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


class LoginForm(LoginLengthMixin, AuthenticationForm):
    """Log in with a username or an email address."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = "Username or email"


class AdminLoginForm(LoginLengthMixin, AdminAuthenticationForm):
    pass
