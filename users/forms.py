"""Forms for the staff pages; the writes themselves happen in users.services."""

from datetime import datetime

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AuthenticationForm
from django.core import signing
from django.core.validators import MaxLengthValidator

from . import audit, permissions
from .models import User
from .services import EDITABLE_FIELDS

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


# Grants too: an admin form drawn before a group was revoked must not re-grant it.
VERSIONED_FIELDS = EDITABLE_FIELDS | {"groups", "user_permissions"}
OUT_OF_DATE = "This form is out of date: reload the page and edit again."
VERSION_SALT = "users.forms.version"


def version_token(user: User) -> str:
    """The user as the editor sees it: when it was saved, and its values.

    Signed, so a hand-made or truncated version is refused rather than parsed.
    """
    values = {name: _comparable(getattr(user, name)) for name in VERSIONED_FIELDS}
    return signing.dumps(
        {"at": user.updated_at.isoformat(), "values": values},
        salt=VERSION_SALT,
        compress=True,
    )


class VersionedFormMixin:
    """A hidden `version` (the user's updated_at and values when the form was
    drawn). Saving over someone else's newer change is refused; the form then
    shows their values merged with the editor's own changes, so that saving
    again can never undo a change the editor did not make."""

    original_values: dict = {}

    def set_version(self) -> None:
        if self.instance.pk and not self.is_bound:
            self.initial["version"] = version_token(self.instance)

    def clean_version(self) -> datetime | None:
        if not self.instance.pk:
            return None
        try:
            token = signing.loads(
                self.cleaned_data.get("version") or "", salt=VERSION_SALT
            )
            version = datetime.fromisoformat(token["at"])
            self.original_values = dict(token["values"])
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            raise forms.ValidationError(OUT_OF_DATE) from None
        return version

    def show_stale(self, current: User, events) -> None:
        """Refuse the save, and redraw the form on top of current."""
        both = self._merge(current)
        self.add_error(None, stale_message(events))
        for name in both:
            theirs = _comparable(getattr(current, name))
            self.add_error(
                name, f"Also changed meanwhile, to {theirs!r}; yours is kept: check it."
            )

    def _merge(self, current: User) -> list[str]:
        """The current values, except where the editor changed a field; returns
        the fields both the editor and someone else changed, differently."""
        data, both = self.data.copy(), []
        for name in sorted(VERSIONED_FIELDS & set(self.fields)):
            original = self.original_values.get(name)
            theirs = _comparable(getattr(current, name))
            if name in self.cleaned_data:
                mine = _comparable(self.cleaned_data[name])
                if mine != original:
                    if theirs not in (original, mine):
                        both.append(name)
                    continue
            _set_value(data, self[name].html_name, theirs)
        data["version"] = version_token(current)
        self.data = data
        return both


def _comparable(value):
    """A field's value as the version token keeps it: related objects as ids."""
    if hasattr(value, "all"):  # a related manager, or a queryset from a form
        return sorted(item.pk for item in value.all())
    return audit.as_json(value)


def _set_value(data, key: str, value) -> None:
    if isinstance(value, list):
        data.setlist(key, [str(item) for item in value])
    elif value is True:
        data[key] = "on"
    elif value is False:
        data.pop(key, None)
    else:
        data[key] = value


def stale_message(events) -> str:
    return (
        "Someone else changed this user while you were editing, so nothing was "
        f"saved. Meanwhile: {audit.describe(events) or 'a change'}. The form now "
        "shows their values together with your own changes: check it and save "
        "again."
    )


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
        for name in permissions.fields_closed_to(actor) & set(self.fields):
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
