"""django-axes' failure records in the admin, read-only: lockouts are lifted by
an action, through users.services.lockout_lift (audited, and refused on
accounts above the actor), never by deleting records."""

from axes.admin import AccessAttemptAdmin as AxesAccessAttemptAdmin
from axes.admin import AccessFailureLogAdmin as AxesAccessFailureLogAdmin
from axes.admin import AccessLogAdmin as AxesAccessLogAdmin
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction

from .. import attempts, permissions, services
from .mixins import FilteredOnlyMixin, ReadOnlyMixin


class AccessAttemptAdmin(ReadOnlyMixin, FilteredOnlyMixin, AxesAccessAttemptAdmin):
    list_display = [
        "attempt_time",
        "locks",
        "ip_address",
        "failures_since_start",
        "user_agent",
        "path_info",
    ]
    actions = ["lift_account_lockouts", "lift_address_lockouts"]

    def has_module_permission(self, request):
        return self.has_lift_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.has_lift_permission(request)

    def has_lift_permission(self, request):
        # As on the lockouts page: staff who may change users.
        return permissions.may_use_staff_page(request.user, "users.change_user")

    @admin.display(description="account or login")
    def locks(self, obj):
        if obj.username is None:
            return "— (forgiven: counts against the IP only)"
        return attempts.lockout_label(obj.username, obj.ip_address)

    @admin.action(
        description="Lift the lockouts of the selected accounts", permissions=["lift"]
    )
    def lift_account_lockouts(self, request, queryset):
        pairs = queryset.exclude(username=None).values_list("username", "ip_address")
        self._lift(request, [(ip, key) for key, ip in set(pairs)])

    @admin.action(
        description="Lift the lockouts of the selected IP addresses (every account)",
        permissions=["lift"],
    )
    def lift_address_lockouts(self, request, queryset):
        ips = set(queryset.values_list("ip_address", flat=True))
        self._lift(request, [(ip, None) for ip in ips])

    def _lift(self, request, lockouts) -> None:
        """All or nothing: one refusal lifts none of the selection."""
        try:
            with transaction.atomic():
                failures = sum(
                    services.lockout_lift(actor=request.user, ip=ip, login_key=key)
                    for ip, key in lockouts
                )
        except PermissionDenied as error:
            self.message_user(request, f"Nothing was lifted: {error}", messages.ERROR)
            return
        self.message_user(
            request,
            f"Lifted {len(lockouts)} lockout(s), {failures} failed logins.",
            messages.SUCCESS,
        )


# axes' logs, as axes shows them, but filtered only through their own filters:
# ?username__regex=( or ?ip_address=zz was a 500 on PostgreSQL.
class AccessLogAdmin(FilteredOnlyMixin, AxesAccessLogAdmin):
    pass


class AccessFailureLogAdmin(FilteredOnlyMixin, AxesAccessFailureLogAdmin):
    pass


for model, model_admin in [
    (AccessAttempt, AccessAttemptAdmin),
    (AccessLog, AccessLogAdmin),
    (AccessFailureLog, AccessFailureLogAdmin),
]:
    admin.site.unregister(model)
    admin.site.register(model, model_admin)
