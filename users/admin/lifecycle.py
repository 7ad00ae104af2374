"""The user admin's lifecycle: the status and end-of-access filters, the
suspension and end of access on the change page, and the actions (lifting
here, through the services; suspending on the staff page, which asks why)."""

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect
from django.utils import timezone

from .. import services
from ..models import Suspension


class StatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("suspended", "Suspended"),
            ("deactivated", "Deactivated (not suspended)"),
            ("expiring", "Access ends in the next 7 days"),
        ]

    def queryset(self, request, queryset):
        if self.value() == "suspended":
            return queryset.suspended()
        if self.value() == "deactivated":
            return queryset.deactivated_not_suspended()
        if self.value() == "expiring":
            now = timezone.now()
            return queryset.expiring_between(now, now + timedelta(days=7))
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
