"""Forms of the staff pages; the writes themselves happen in users.services."""

import re

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.utils.html import format_html, format_html_join

from .. import attempts, permissions
from ..models import EDITABLE_FIELDS, User
from ..versioning import VersionedFormMixin, version_field


class UserForm(VersionedFormMixin, forms.ModelForm):
    """Fields a staff member edits; superuser-only fields vanish for the others."""

    version = version_field()

    class Meta:
        model = User
        fields = EDITABLE_FIELDS

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


def password_rules_for_staff() -> str:
    """The password validators' rules, said to the staff member choosing
    someone else's password ("The account holder's password...", not "Your
    password..."), as the list Django's own help is."""
    texts = [
        text.replace("Your password", "The account holder’s password")
        .replace("your other", "their other")
        .replace("your password", "the password")
        for text in password_validation.password_validators_help_texts()
    ]
    if not texts:
        return ""
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", zip(texts)))


# On the create form, the model's help (written for editing) is replaced.
CREATE_HELP = {
    "email": "Where the account holder gets mail; they can also log in with it.",
    "is_active": "Untick to create the account switched off: it cannot log in "
    "until someone activates it.",
    "is_staff": "Lets the account into the staff pages and the admin; what it "
    "may do there comes from the permissions you give it on its page.",
}


class UserCreateForm(UserForm):
    invite = forms.BooleanField(
        label="Email an invitation to choose a password",
        required=False,
        help_text="The link works once, for a limited time. Leave the password "
        "fields empty when you invite.",
    )
    password1 = forms.CharField(
        label="Password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Password again",
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="The same password, to catch a typing mistake.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, text in CREATE_HELP.items():
            if name in self.fields:
                self.fields[name].help_text = text
        self.fields["password1"].help_text = format_html(
            "{} {}",
            "Optional: leave both password fields empty to create an account "
            "that cannot log in until someone sets its password.",
            password_rules_for_staff(),
        )

    def clean_password2(self):
        password1 = self.cleaned_data.get("password1")
        password2 = self.cleaned_data.get("password2")
        if password1 != password2:
            raise forms.ValidationError("The two passwords do not match.")
        if password2 and self.cleaned_data.get("invite"):
            raise forms.ValidationError(
                "Either set a password or send an invitation, not both."
            )
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


class StaffPasswordForm(AdminPasswordChangeForm):
    """Another account's password: first the choice (set a new one, or make it
    unusable), then the new password twice. Django's admin form, reworded for
    the staff member using it."""

    CHOICES = {
        "true": "Set a new password",
        "false": "Make the password unusable",
    }

    def __init__(self, user: User, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["password1"].widget.attrs.pop("autofocus", None)
        self.fields["password1"].label = "New password"
        self.fields["password1"].help_text = password_rules_for_staff()
        self.fields["password2"].label = "New password again"
        self.fields[
            "password2"
        ].help_text = "The same password, to catch a typing mistake."
        choice = self.fields.get("usable_password")
        if choice is None:  # unusable already: setting one is the only choice
            return
        choice.label = "What to do"
        choice.choices = self.CHOICES
        choice.widget.attrs["class"] = "choices"
        choice.help_text = (
            "An unusable password stops every password login to this account "
            "(the current password is lost); set a new one later to let them in "
            "again. Either way, the account's sessions end."
        )
        self.order_fields(["usable_password", "password1", "password2"])


class LockoutLiftForm(forms.Form):
    """Which lockout to lift: an account's (or unknown login's) from one IP, or
    the IP's own. Said explicitly, so that a missing key can never widen an
    account's lift into the whole address's."""

    lift = forms.ChoiceField(
        label="Lockout", choices=[("account", "account"), ("address", "address")]
    )
    ip = forms.GenericIPAddressField(label="IP address")
    login_key = forms.RegexField(
        label="Account or login",
        regex=re.compile(
            rf"\A({attempts.ACCOUNT_PREFIX}[0-9]+|{attempts.LOGIN_PREFIX}.+)\Z",
            re.DOTALL,
        ),
        max_length=attempts.MAX_KEY,
        required=False,
        error_messages={"invalid": "This is not a lockout's account or login."},
    )

    def clean(self):
        cleaned = super().clean()
        key = cleaned.get("login_key") or None
        if cleaned.get("lift") == "account" and key is None and "login_key" in cleaned:
            self.add_error("login_key", "Name the account or login to lift.")
        if cleaned.get("lift") == "address" and key is not None:
            self.add_error("login_key", "An address's lockout names no account.")
        cleaned["login_key"] = key
        return cleaned
