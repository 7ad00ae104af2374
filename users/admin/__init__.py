"""The Django admin for users, groups and the audit trail; every write goes
through users.services, under the rules of users.permissions."""

from django.contrib import admin

from ..signin.forms import AdminLoginForm
from . import groups, trail, users  # noqa: F401 - register their ModelAdmins
from .forms import OwnPasswordChangeAdminForm

admin.site.login_form = AdminLoginForm
# Your own password, through the services (audited, other sessions ended).
admin.site.password_change_form = OwnPasswordChangeAdminForm
