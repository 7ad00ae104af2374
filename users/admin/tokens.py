"""Everyone's personal API tokens in the admin, read-only: a token is revoked
by an action, through users.services.token_revoke (audited, and refused on
owners above the actor), never edited or deleted; its secret is not stored."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction

from .. import permissions, services
from ..models import ApiToken
from .mixins import ReadOnlyMixin


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "user",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
    list_select_related = ["user"]
    search_fields = ["name", "prefix", "user__username"]
    fields = list_display
    readonly_fields = list_display
    actions = ["revoke_tokens"]

    def has_module_permission(self, request):
        return self.has_revoke_permission(request)

    def has_view_permission(self, request, obj=None):
        return self.has_revoke_permission(request)

    def has_revoke_permission(self, request):
        # As for ending another account's sessions: staff who may change users.
        return permissions.may_use_staff_page(request.user, "users.change_user")

    @admin.action(description="Revoke the selected tokens", permissions=["revoke"])
    def revoke_tokens(self, request, queryset):
        """All or nothing: one token whose owner is above you revokes none."""
        try:
            with transaction.atomic():
                revoked = sum(
                    services.token_revoke(actor=request.user, token=token)
                    for token in queryset.select_related("user")
                )
        except PermissionDenied as error:
            self.message_user(request, f"Nothing was revoked: {error}", messages.ERROR)
            return
        self.message_user(request, f"Revoked {revoked} token(s).", messages.SUCCESS)
