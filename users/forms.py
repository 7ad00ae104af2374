"""Forms for the staff pages; the writes themselves happen in users.services."""

from datetime import datetime

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core.validators import MaxLengthValidator

from . import permissions
from .models import User

PER_PAGE_CHOICES = [(25, "25"), (50, "50"), (100, "100")]
DEFAULT_PER_PAGE = 25
LOGIN_MAX_LENGTH = 254  # the longest email address; usernames are shorter


class PageForm(forms.Form):
    """The list's pagination parameters; invalid ones get a 400 page."""

    per_page = forms.TypedChoiceField(
        label="Per page",
        choices=PER_PAGE_CHOICES,
        coerce=int,
        required=False,
        empty_value=DEFAULT_PER_PAGE,
    )
    page = forms.CharField(required=False, max_length=300, widget=forms.HiddenInput)


class VersionedFormMixin:
    """A hidden `version` (the user's updated_at when the form was drawn) so that
    saving over someone else's newer change is refused instead of losing it."""

    def set_version(self) -> None:
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = self.instance.updated_at.isoformat()

    def clean_version(self) -> datetime | None:
        raw = self.cleaned_data.get("version")
        if not raw or not self.instance.pk:
            return None
        try:
            version = datetime.fromisoformat(raw)
        except ValueError:
            version = None
        if version is None or version.tzinfo is None:
            raise forms.ValidationError(
                "This form is out of date: reload the page and edit again."
            )
        return version

    def show_current(self, current: User) -> None:
        """After a stale save: keep what was typed, but build on the new version."""
        data = self.data.copy()
        data["version"] = current.updated_at.isoformat()
        self.data = data


def version_field() -> forms.CharField:
    return forms.CharField(widget=forms.HiddenInput, required=False)


class UserForm(VersionedFormMixin, forms.ModelForm):
    """Fields a staff member edits; superuser-only fields vanish for the others."""

    version = version_field()

    class Meta:
        model = User
        fields = [
            "username",
            "email",
            "full_name",
            "is_active",
            "is_staff",
            "is_superuser",
        ]

    def __init__(self, *args, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        for name in permissions.superuser_only_fields(actor) & set(self.fields):
            del self.fields[name]
        self.fields["email"].required = True
        self.set_version()

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in self.changed_data
            if name != "version"
        }


class UserCreateForm(UserForm):
    password1 = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="Leave both empty to create an account that cannot log in yet.",
    )
    password2 = forms.CharField(
        label="Password confirmation",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_password2(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 != password2:
            raise forms.ValidationError("The two passwords do not match.")
        return password2

    def _post_clean(self):
        super()._post_clean()
        password = self.cleaned_data.get("password2")
        if password:
            try:
                password_validation.validate_password(password, self.instance)
            except forms.ValidationError as error:
                self.add_error("password2", error)

    def fields_for_service(self) -> dict:
        data = {
            name: self.cleaned_data[name]
            for name in UserForm.Meta.fields
            if name in self.cleaned_data
        }
        return data | {"password": self.cleaned_data.get("password1") or None}


class LoginLengthMixin:
    """Django only sets max_length on the login widget; the validator stops an
    over-long value before it reaches the backends and the lockout records."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
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
