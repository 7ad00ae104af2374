"""Who may open a staff page: shared by the user pages and the session pages."""

from django.contrib.auth.mixins import PermissionRequiredMixin

from .. import permissions


class StaffPermissionRequiredMixin(PermissionRequiredMixin):
    """Anonymous users go to the login page; others need staff status and the
    model permission, or get a 403 page. As in the admin, permission to change
    users includes seeing them."""

    def has_permission(self) -> bool:
        return permissions.may_use_staff_page(
            self.request.user, self.permission_required
        )

    def get_permission_denied_message(self) -> str:
        return permissions.missing_for_staff_page(
            self.request.user, self.permission_required
        )
