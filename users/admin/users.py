"""The user admin: auth's UserAdmin, writing through users.services."""

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as AuthUserAdmin
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe

from .. import factors, history, permissions, services
from ..managers.search import SEARCH_FIELDS, SEARCH_HELP
from ..models import EDITABLE_FIELDS, AuditEvent, User, UserSession
from .chrome import ActionForm
from .data_actions import AccountDataActionsMixin
from .forms import (
    GRANT_FIELDS,
    PasswordChangeAdminForm,
    UserChangeAdminForm,
    UserCreationAdminForm,
)
from .lifecycle import LIFECYCLE_FIELDS, LifecycleActionsMixin, StatusFilter
from .mixins import (
    ActionsOncePerRequestMixin,
    DeleteSelectionMixin,
    FilteredOnlyMixin,
    refusals_as_messages,
)
from .paginator import UserAdminPaginatorMixin

RECENT_EVENTS = 10  # on the change page; the trail holds the rest


@admin.register(User)
class UserAdmin(
    AccountDataActionsMixin,
    LifecycleActionsMixin,
    UserAdminPaginatorMixin,
    ActionsOncePerRequestMixin,
    FilteredOnlyMixin,
    DeleteSelectionMixin,
    AuthUserAdmin,
):
    form = UserChangeAdminForm
    add_form = UserCreationAdminForm
    change_password_form = PasswordChangeAdminForm
    show_full_result_count = False
    action_form = ActionForm  # its widgets drawn once (chrome.py)
    list_display = (
        "email",
        "username",
        "full_name",
        "is_active",
        "is_staff",
        "is_superuser",
        "created_at",
    )
    list_filter = (
        "is_active",
        StatusFilter,
        "is_staff",
        "is_superuser",
        "created_at",
    )
    search_fields = SEARCH_FIELDS
    search_help_text = SEARCH_HELP
    ordering = ("-created_at", "-id")
    readonly_fields = (
        "created_at",
        "updated_at",
        "last_login",
        "two_factor",
        "active_until",
        "suspension_summary",
        "dormancy_exemption_summary",
        "active_sessions",
        "recent_activity",
        "audit_trail",
    )
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
        ("Lifecycle", {"fields": LIFECYCLE_FIELDS}),
        ("Two-factor authentication", {"fields": ("two_factor",)}),
        ("Important dates", {"fields": ("last_login", "created_at", "updated_at")}),
        ("Sessions", {"fields": ("active_sessions",)}),
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
    actions = [
        "activate_selected",
        "deactivate_selected",
        "reset_mfa_selected",
        "end_sessions_selected",
        "send_password_links_selected",
        "export_personal_data_selected",
        "erase_selected",
        "suspend_selected",
        "lift_suspension_selected",
        "exempt_from_dormancy_selected",
        "end_dormancy_exemption_selected",
    ]

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

    @admin.display(description="Status")
    def two_factor(self, obj):
        return str(factors.status(obj))

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not request.user.has_perm("users.view_auditevent"):
            return fieldsets
        # Who may read the trail gets a link to all of this account's events.
        return (
            *fieldsets[:-1],
            ("History", {"fields": ("recent_activity", "audit_trail")}),
        )

    @admin.display(description="History")
    def recent_activity(self, obj):
        events = AuditEvent.objects.about(obj)[:RECENT_EVENTS]
        return (
            format_html_join(
                mark_safe("<br>"),
                "{} · {}",
                (
                    (
                        event.at.strftime("%Y-%m-%d %H:%M"),
                        history.describe(event).as_html(),
                    )
                    for event in events
                ),
            )
            or "—"
        )

    @admin.display(description="All events")
    def audit_trail(self, obj):
        url = reverse("admin:users_auditevent_changelist")
        return format_html(
            '<a href="{}?target_id={}">See all events about {} in the audit trail</a>',
            url,
            obj.pk,
            obj.get_username(),
        )

    @admin.display(description="Signed in")
    def active_sessions(self, obj):
        if obj.pk is None:
            return "—"
        sessions = UserSession.objects.live_of(obj)
        return (
            format_html_join(
                mark_safe("<br>"),
                "{} · {} · started {} · last seen {}",
                (
                    (
                        session.browser or "Unknown browser",
                        session.ip or "no IP",
                        session.created_at.strftime("%Y-%m-%d %H:%M"),
                        session.last_seen_at.strftime("%Y-%m-%d %H:%M"),
                    )
                    for session in sessions
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
            if name in EDITABLE_FIELDS
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
        verb = "Activated" if active else "Deactivated"
        self._apply(
            request,
            lambda: services.users_set_active(
                actor=request.user, users=queryset, active=active
            ),
            verb + " {} user(s).",
        )

    @admin.action(
        description="Reset two-factor authentication of selected users",
        permissions=["change"],
    )
    def reset_mfa_selected(self, request, queryset):
        self._apply(
            request,
            lambda: services.users_reset_mfa(actor=request.user, users=queryset),
            "Reset two-factor authentication of {} user(s); they set it up again "
            "at their next login.",
        )

    @admin.action(
        description="End all sessions of selected users", permissions=["change"]
    )
    def end_sessions_selected(self, request, queryset):
        self._apply(
            request,
            lambda: services.users_end_sessions(actor=request.user, users=queryset),
            "Ended all sessions of {} user(s).",
        )

    def _apply(self, request, change, done: str) -> None:
        """Run a bulk service; its count in `done`, or its refusal, as a message."""
        try:
            count = change()
        except PermissionDenied as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        self.message_user(request, done.format(count), messages.SUCCESS)
