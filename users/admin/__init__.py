"""The Django admin for users, groups, the audit trail and lockouts; every write goes
through users.services, under the rules of users.permissions."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..signin.forms import AdminLoginForm
from . import groups, lockouts, tokens, trail, users  # noqa: F401 - register them
from .forms import OwnPasswordChangeAdminForm

admin.site.login_form = AdminLoginForm

# django-otp registers admins that edit devices directly (and show their
# secrets): second factors change only through users.services, audited.
for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)

# Your own password, through the services (audited, other sessions ended).
admin.site.password_change_form = OwnPasswordChangeAdminForm
