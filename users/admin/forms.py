"""The admin's user forms: auth's forms, checked by the rules, saved by the services."""

from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.core.exceptions import PermissionDenied, ValidationError

from .. import permissions, services
from ..models import EDITABLE_FIELDS, AuditEvent, User
from ..signin.forms import OwnPasswordChangeForm
from ..versioning import VersionedFormMixin, version_field

GRANT_FIELDS = ("groups", "user_permissions")


class ServiceCheckedFormMixin:
    """Reports what users.permissions would refuse as a form error, not a 403."""

    actor: User | None = None

    def clean(self):
        cleaned = super().clean()
        editable = {*EDITABLE_FIELDS, *GRANT_FIELDS}
        changes = {
            name: cleaned[name]
            for name in self.changed_data
            if name in editable and name in cleaned
        }
        try:
            if self.instance.pk is None:
                permissions.check_create(self.actor, changes)
            else:
                permissions.check_change(
                    self.actor,
                    self.instance,
                    {k: v for k, v in changes.items() if k not in GRANT_FIELDS},
                )
        except PermissionDenied as error:
            raise ValidationError(str(error)) from error
        granted = {name: changes[name] for name in GRANT_FIELDS if name in changes}
        refusals = permissions.grant_refusals(self.actor, **granted)
        for name, reason in refusals.items():
            self.add_error(name, reason)
        return cleaned


class UserChangeAdminForm(ServiceCheckedFormMixin, VersionedFormMixin, UserChangeForm):
    version = version_field()

    class Meta(UserChangeForm.Meta):
        model = User
        fields = "__all__"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.set_version()

    def clean(self):
        cleaned = super().clean()
        version = cleaned.get("version")
        if version is not None and version != self.instance.updated_at:
            # The service checks again on the locked row (UserAdmin.changeform_view).
            events = AuditEvent.objects.about(self.instance, after=version)
            self.show_stale(self.instance, list(reversed(events)))
        return cleaned


class UserCreationAdminForm(ServiceCheckedFormMixin, AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ("username", "email", "full_name")


class PasswordChangeAdminForm(AdminPasswordChangeForm):
    def save(self, commit=True):
        password = None
        if self.cleaned_data["set_usable_password"]:
            password = self.cleaned_data["password1"]
        # The actor is the request's user (services.FROM_REQUEST); the service
        # checks the rules again on the locked row.
        return services.user_set_password(user=self.user, password=password)


class OwnPasswordChangeAdminForm(OwnPasswordChangeForm):
    """The admin's "Change password" (your own, old password first): saved
    by the services, so it is audited and ends your other sessions."""

    def save(self, commit=True):
        # The admin then keeps this session (update_session_auth_hash).
        return services.user_change_own_password(
            actor=self.user, password=self.cleaned_data["new_password1"]
        )
