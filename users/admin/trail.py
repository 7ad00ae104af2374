"""The audit trail in the admin, read-only, written for people (users.history)."""

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters

from .. import history
from ..models import AuditEvent
from ..pagination import EstimatedCountPaginator
from .mixins import FilteredOnlyMixin, ReadOnlyMixin


class AccountFilter(admin.SimpleListFilter):
    """The events about one account, by its id: where the user admin's "See
    all events" link leads (the (target, at) index serves it)."""

    title = "account"
    parameter_name = "target_id"

    def lookups(self, request, model_admin):
        value = self.value()
        if not value:
            return ()  # no choices to offer: the filter shows once chosen
        if not value.isascii() or not value.isdigit() or len(value) > 18:
            raise IncorrectLookupParameters("An account is named by its id.")
        latest = AuditEvent.objects.filter(target_id=int(value)).first()
        return [(value, latest.target_label if latest else f"#{value}")]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(target_id=int(self.value()))
        return queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, FilteredOnlyMixin, admin.ModelAdmin):
    """The audit trail, read-only: nobody edits or deletes history here."""

    list_display = ("at", "what", "target_label", "ip")
    list_filter = (AccountFilter, "action", "at")
    search_fields = ("=actor_label", "=target_label")
    show_full_result_count = False
    # The trail outgrows the users table (an import writes an event per row).
    paginator = EstimatedCountPaginator

    @admin.display(description="What happened")
    def what(self, event: AuditEvent):
        return history.describe(event).as_html()
