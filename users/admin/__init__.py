"""The Django admin for users, groups, the audit trail and lockouts; every write goes
through users.services, under the rules of users.permissions."""

from django.contrib import admin

from ..signin.forms import AdminLoginForm
from . import groups, lockouts, trail, users  # noqa: F401 - register their ModelAdmins

admin.site.login_form = AdminLoginForm
