"""The Django admin for users: auth's UserAdmin, writing through users.services."""

from functools import cached_property, wraps

from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin as AuthGroupAdmin
from django.contrib.auth.admin import UserAdmin as AuthUserAdmin
from django.contrib.auth.forms import (
    AdminPasswordChangeForm,
    AdminUserCreationForm,
    UserChangeForm,
)
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponseRedirect
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe

from . import audit, permissions, services
from .forms import AdminLoginForm, VersionedFormMixin, version_field
from .models import AuditEvent, User
from .pagination import COUNT_CAP

admin.site.login_form = AdminLoginForm
GRANT_FIELDS = ("groups", "user_permissions")
REFUSALS = (PermissionDenied, ValidationError, services.StaleEdit, services.UserGone)
MAX_ADMIN_PAGES = 200


class EstimatedCountPaginator(Paginator):
    """Uses the planner's estimate for the unfiltered table instead of COUNT(*),
    and stops at MAX_ADMIN_PAGES: past that, OFFSET reads every row it skips
    (~500 ms at 250,000 rows), so deeper results are reached by narrowing the
    search or by the keyset-paged staff list at /users/."""

    @cached_property
    def count(self) -> int:
        if not self.object_list.query.where:
            estimate = User.objects.estimated_count()
            if estimate is not None and estimate > COUNT_CAP:
                return estimate
        return super().count

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, MAX_ADMIN_PAGES)


def refusals_as_messages(view):
    """The forms check the rules for a friendly error; the services check them
    again on locked rows. A refusal from in between (someone else's change, an
    account deleted meanwhile, a duplicate that raced) becomes a message on
    the same page, not a 500."""

    @wraps(view)
    def wrapped(model_admin, request, *args, **kwargs):
        try:
            return view(model_admin, request, *args, **kwargs)
        except REFUSALS as error:
            if type(error) is PermissionDenied and not str(error):
                raise  # the admin's own bare 403
            text = error.messages if isinstance(error, ValidationError) else [error]
            model_admin.message_user(request, " ".join(map(str, text)), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    return wrapped


class DeleteSelectionMixin:
    """Delete a selection one object at a time through delete_model (and so
    through the services), all or nothing: one refusal keeps every object."""

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


class ServiceCheckedFormMixin:
    """Reports what users.permissions would refuse as a form error, not a 403."""

    actor: User | None = None

    def clean(self):
        cleaned = super().clean()
        editable = services.EDITABLE_FIELDS | set(GRANT_FIELDS)
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
                permissions.check_grant(
                    self.actor, self.instance, set(changes) & set(GRANT_FIELDS)
                )
        except PermissionDenied as error:
            raise ValidationError(str(error)) from error
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


@admin.register(User)
class UserAdmin(DeleteSelectionMixin, AuthUserAdmin):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    change_password_form = PasswordChangeAdminForm
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    list_display = (
        "email",
        "username",
        "full_name",
        "is_active",
        "is_staff",
        "is_superuser",
        "created_at",
    )
    list_filter = ("is_active", "is_staff", "is_superuser", "created_at")
    search_fields = ("email", "username", "full_name")
    search_help_text = (
        "Name, email or username. 3+ characters match anywhere; "
        "1–2 characters match the start of a field; a complete email address "
        "finds exactly that account."
    )
    ordering = ("-created_at", "-id")
    readonly_fields = ("created_at", "updated_at", "last_login", "recent_activity")
    fieldsets = (
        (None, {"fields": ("username", "password", "version")}),
        ("Personal info", {"fields": ("full_name", "email")}),
        (
            "Permissions",
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        ("Important dates", {"fields": ("last_login", "created_at", "updated_at")}),
        ("History", {"fields": ("recent_activity",)}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "email",
                    "full_name",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )
    actions = ["activate_selected", "deactivate_selected"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user  # a fresh class per request: safe to set
        return form

    def get_readonly_fields(self, request, obj=None):
        closed = permissions.fields_closed_to(request.user)
        return (*self.readonly_fields, *sorted(closed))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (
            obj is None or permissions.can_edit(request.user, obj)
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or permissions.can_delete(request.user, obj)
        )

    changeform_view = refusals_as_messages(AuthUserAdmin.changeform_view)
    changelist_view = refusals_as_messages(AuthUserAdmin.changelist_view)
    delete_view = refusals_as_messages(AuthUserAdmin.delete_view)
    user_change_password = refusals_as_messages(AuthUserAdmin.user_change_password)

    def get_search_results(self, request, queryset, search_term):
        # The same index-backed search as the staff pages; no duplicates.
        return queryset.search(search_term), False

    @admin.display(description="History")
    def recent_activity(self, obj):
        events = AuditEvent.objects.about(obj)[: audit.HISTORY_SHOWN]
        return (
            format_html_join(
                mark_safe("<br>"),
                "{} · {} · {} {}",
                (
                    (
                        event.at.strftime("%Y-%m-%d %H:%M"),
                        event.actor_label,
                        event.get_action_display(),
                        event.changes or "",
                    )
                    for event in events
                ),
            )
            or "—"
        )

    def save_model(self, request, obj, form, change):
        if not change:
            password = None
            if form.cleaned_data.get("set_usable_password"):
                password = form.cleaned_data.get("password1")
            services.user_create(actor=request.user, user=obj, password=password)
            return
        changes = {
            name: form.cleaned_data[name]
            for name in form.changed_data
            if name in services.EDITABLE_FIELDS
        }
        if changes:
            services.user_update(
                actor=request.user,
                user=obj,
                expected_version=form.cleaned_data.get("version"),
                **changes,
            )

    def save_related(self, request, form, formsets, change):
        granted = {
            name: form.cleaned_data[name]
            for name in GRANT_FIELDS
            if name in form.changed_data
        }
        if granted:
            services.user_set_groups_and_permissions(
                actor=request.user, user=form.instance, **granted
            )
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.user_delete(actor=request.user, user=obj)

    @admin.action(description="Activate selected users", permissions=["change"])
    def activate_selected(self, request, queryset):
        self._set_active(request, queryset, active=True)

    @admin.action(description="Deactivate selected users", permissions=["change"])
    def deactivate_selected(self, request, queryset):
        self._set_active(request, queryset, active=False)

    def _set_active(self, request, queryset, *, active: bool) -> None:
        try:
            changed = services.users_set_active(
                actor=request.user, users=queryset, active=active
            )
        except PermissionDenied as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        verb = "Activated" if active else "Deactivated"
        self.message_user(request, f"{verb} {changed} user(s).", messages.SUCCESS)


class GroupAdmin(DeleteSelectionMixin, AuthGroupAdmin):
    """Groups are grants: only superusers change them, through the services."""

    def has_add_permission(self, request):
        return super().has_add_permission(request) and permissions.can_change_groups(
            request.user
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(
            request, obj
        ) and permissions.can_change_groups(request.user)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(
            request, obj
        ) and permissions.can_change_groups(request.user)

    def save_model(self, request, obj, form, change):
        services.group_save(
            actor=request.user,
            group=obj,
            permissions_=form.cleaned_data.get("permissions"),
        )

    def save_related(self, request, form, formsets, change):
        for formset in formsets:  # the permissions were set by group_save
            self.save_formset(request, form, formset, change=change)

    def delete_model(self, request, obj):
        services.group_delete(actor=request.user, group=obj)


admin.site.unregister(Group)
admin.site.register(Group, GroupAdmin)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail, read-only: nobody edits or deletes history here."""

    list_display = ("at", "actor_label", "action", "target_label", "ip")
    list_filter = ("action", "at")
    search_fields = ("=actor_label", "=target_label")
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
