"""An account's groups and permissions: the summary on its page, and the page
that changes them (/users/<id>/access/) through the services
(user_set_groups_and_permissions).

Permissions are shown by their names ("Can change user"), grouped by app. A
staff member gives only what they hold (permissions.check_grant): what they
lack is listed but cannot be ticked, and a form that asks for it anyway
(a hand-made POST) gets a field error saying why.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django import forms
from django.apps import apps
from django.contrib import messages
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect

from .. import permissions, services
from ..managers.access import groups_beyond, permissions_beyond, permissions_of
from ..models import User
from .access import AccountFormView


def app_name(permission: Permission) -> str:
    label = permission.content_type.app_label
    try:
        return str(apps.get_app_config(label).verbose_name)
    except LookupError:  # a permission left behind by a removed app
        return label


def by_app(items: Iterable[Permission]) -> list[tuple[str, list[Permission]]]:
    """Permissions grouped under their app's name, in the order given."""
    grouped: dict[str, list[Permission]] = {}
    for permission in items:
        grouped.setdefault(app_name(permission), []).append(permission)
    return list(grouped.items())


@dataclass(frozen=True)
class AccessSummary:
    groups: list[str]
    direct: list[tuple[str, list[Permission]]]
    effective: list[tuple[str, list[Permission]]]
    superuser: bool
    staff: bool


def access_summary(account: User) -> AccessSummary:
    """What account may do, for people: two queries."""
    held = list(permissions_of(account))
    return AccessSummary(
        groups=list(account.groups.order_by("name").values_list("name", flat=True)),
        direct=by_app(permission for permission in held if permission.direct),
        effective=by_app(held),
        superuser=account.is_superuser,
        staff=account.is_staff,
    )


class GroupedCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes under one <fieldset> per app; those the actor may not give
    are disabled (a browser does not send them)."""

    template_name = "forms/widgets/grouped_checkboxes.html"
    closed: frozenset[str] = frozenset()

    def create_option(self, name, value, label, selected, index, **kwargs):
        option = super().create_option(name, value, label, selected, index, **kwargs)
        if str(value) in self.closed:
            option["attrs"]["disabled"] = True
        return option


class IdChoices(forms.ModelMultipleChoiceField):
    """An id beyond what the database stores is a choice that does not exist
    (a form error), not a query the database refuses."""

    def _check_values(self, value):
        for pk in value:
            try:
                number = int(str(pk))
            except ValueError:
                continue  # Django's own "not a valid value"
            if not 0 < number < 2**31:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class GrantsForm(forms.Form):
    groups = IdChoices(
        queryset=Group.objects.order_by("name"),
        required=False,
        widget=GroupedCheckboxes,
        help_text="Members get every permission of the group.",
    )
    user_permissions = IdChoices(
        label="Permissions given directly",
        queryset=Permission.objects.select_related("content_type").order_by(
            "content_type__app_label", "content_type__model", "codename"
        ),
        required=False,
        widget=GroupedCheckboxes,
        help_text="Besides those of the groups.",
    )

    def __init__(self, *args, actor: User, account: User, **kwargs):
        # What the account holds now: the form shows it, and has_changed()
        # compares with it.
        kwargs["initial"] = {
            "groups": list(account.groups.all()),
            "user_permissions": list(account.user_permissions.all()),
        }
        super().__init__(*args, **kwargs)
        self.actor = actor
        field = self.fields["user_permissions"]
        field.choices = [
            (app, [(item.pk, item.name) for item in items])
            for app, items in by_app(field.queryset)
        ]
        self.fields["groups"].choices = [
            (group.pk, group.name) for group in self.fields["groups"].queryset
        ]
        if not permissions.unrestricted(actor):
            self._close_what_actor_lacks(actor)

    def _close_what_actor_lacks(self, actor: User) -> None:
        beyond = permissions_beyond(actor)
        closed_permissions = {str(pk) for pk in beyond.values_list("pk", flat=True)}
        closed_groups = {
            str(pk) for pk in groups_beyond(actor).values_list("pk", flat=True)
        }
        self.fields["groups"].widget.closed = frozenset(closed_groups)
        self.fields["user_permissions"].widget.closed = frozenset(closed_permissions)
        note = " Greyed out: what you do not have yourself, so cannot give."
        for name in ("groups", "user_permissions"):
            self.fields[name].help_text += note

    def clean(self):
        cleaned = super().clean()
        granted = {
            name: cleaned[name]
            for name in ("groups", "user_permissions")
            if name in cleaned
        }
        for name, reason in permissions.grant_refusals(self.actor, **granted).items():
            self.add_error(name, reason)
        return cleaned


class UserAccessView(AccountFormView):
    """Change an account's groups and direct permissions."""

    form_class = GrantsForm
    template_name = "users/user_access.html"

    opening_check = staticmethod(permissions.check_grant)

    def get_form_kwargs(self):
        return super().get_form_kwargs() | {
            "actor": self.request.user,
            "account": self.object,
        }

    def form_valid(self, form):
        account = self.object
        if not form.has_changed():
            messages.info(self.request, "Nothing changed.")
            return redirect(self.back_to_user(account))
        try:
            services.user_set_groups_and_permissions(
                actor=self.request.user,
                user=account,
                groups=form.cleaned_data["groups"],
                user_permissions=form.cleaned_data["user_permissions"],
            )
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        except services.UserGone as gone:
            messages.error(self.request, str(gone))
            return redirect(self.back_to_list())
        messages.success(
            self.request, f"Saved the groups and permissions of {account.username}."
        )
        return redirect(self.back_to_user(account))
