"""The group admin: groups are grants, so only superusers change them."""

from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as AuthGroupAdmin
from django.contrib.auth.models import Group

from .. import permissions, services
from .mixins import DeleteSelectionMixin, FilteredOnlyMixin


class GroupAdmin(FilteredOnlyMixin, DeleteSelectionMixin, AuthGroupAdmin):
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
