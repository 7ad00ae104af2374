"""The user admin's lifecycle: the status filter (suspended, expiring,
dormant, exempt), the suspension and the dormancy exemption on the change
page, and the actions (lifting and exempting here, through the services;
suspending on the staff page, which asks why)."""

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone

from .. import services
from ..managers.dormancy import DormancyPolicy
from ..models import DormancyExemption, Suspension

# The change page's lifecycle section (read-only: the pages and actions change it).
LIFECYCLE_FIELDS = ("suspension_summary", "active_until", "dormancy_exemption_summary")


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("suspended", "Suspended"),
            ("deactivated", "Deactivated (not suspended)"),
            ("expiring", "Access ends in the next 7 days"),
            ("dormant", "Dormant: the next lifecycle run deactivates"),
            ("exempt", "Exempt from the dormant-account policy"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "suspended":
            return queryset.suspended()
        if self.value() == "deactivated":
            return queryset.deactivated_not_suspended()
        if self.value() == "expiring":
            now = timezone.now()
            return queryset.expiring_between(now, now + timedelta(days=7))
        if self.value() == "dormant":
            policy = DormancyPolicy.from_settings()
            return queryset.dormant(policy, timezone.now())
        if self.value() == "exempt":
            return queryset.filter(dormancy_exemption__isnull=False)
        return queryset


class LifecycleActionsMixin:
    @admin.display(description="suspension")
    def suspension_summary(self, obj):
        current = Suspension.objects.filter(user=obj).first()
        if current is None:
            return "—"
        until = (
            timezone.localtime(current.until).strftime("%Y-%m-%d %H:%M %Z")
            if current.until
            else "until lifted"
        )
        reason = current.get_reason_display()
        return f"{reason}, {until}, by {current.by_label}: {current.note or '—'}"

    @admin.action(
        description="Lift the suspension of selected users", permissions=["change"]
    )
    def lift_suspension_selected(self, request, queryset):
        """All or nothing: one refusal lifts none of the selection."""
        suspended = list(queryset.suspended().order_by("pk"))
        try:
            with transaction.atomic():
                for user in suspended:
                    services.user_lift_suspension(actor=request.user, user=user)
        except (PermissionDenied, services.UserGone) as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        done = f"Lifted the suspension of {len(suspended)} user(s)."
        self.message_user(request, done, messages.SUCCESS)

    @admin.action(
        description="Suspend the selected user (asks why first)",
        permissions=["change"],
    )
    def suspend_selected(self, request, queryset):
        users = list(queryset[:2])
        if len(users) != 1:
            message = "Select exactly one user to suspend: each gets its reason."
            self.message_user(request, message, messages.ERROR)
            return None
        return redirect("users:suspend", pk=users[0].pk)

    @admin.display(description="dormancy exemption")
    def dormancy_exemption_summary(self, obj):
        current = DormancyExemption.objects.filter(user=obj).first()
        if current is None:
            return "Not exempt"
        at = timezone.localtime(current.at).strftime("%Y-%m-%d %H:%M %Z")
        return f"Exempt, by {current.by_label} at {at}: {current.note or '—'}"

    @admin.action(
        description="Exempt selected users from the dormant-account policy",
        permissions=["change"],
    )
    def exempt_from_dormancy_selected(self, request, queryset):
        self._set_exemption(request, queryset, exempt=True)

    @admin.action(
        description="End the dormancy exemption of selected users",
        permissions=["change"],
    )
    def end_dormancy_exemption_selected(self, request, queryset):
        self._set_exemption(request, queryset, exempt=False)

    def _set_exemption(self, request, queryset, *, exempt: bool) -> None:
        """All or nothing: one refusal changes none of the selection."""
        try:
            with transaction.atomic():
                changed = sum(
                    services.user_set_dormancy_exemption(
                        actor=request.user, user=user, exempt=exempt
                    )
                    for user in queryset.order_by("pk")
                )
        except (PermissionDenied, services.UserGone) as error:
            self.message_user(request, str(error), messages.ERROR)
            return
        done = "Exempted" if exempt else "Ended the exemption of"
        self.message_user(request, f"{done} {changed} user(s).", messages.SUCCESS)
