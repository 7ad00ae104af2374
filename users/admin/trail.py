"""The audit trail in the admin, read-only."""

from django.contrib import admin

from ..models import AuditEvent
from ..pagination import EstimatedCountPaginator
from .mixins import FilteredOnlyMixin


@admin.register(AuditEvent)
class AuditEventAdmin(FilteredOnlyMixin, admin.ModelAdmin):
    """The audit trail, read-only: nobody edits or deletes history here."""

    list_display = ("at", "actor_label", "action", "target_label", "ip")
    list_filter = ("action", "at")
    search_fields = ("=actor_label", "=target_label")
    show_full_result_count = False
    # The trail outgrows the users table (an import writes an event per row).
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
