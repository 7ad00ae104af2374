"""The Django admin for users, groups and the audit trail; every write goes
through users.services, under the rules of users.permissions."""

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..signin.forms import AdminLoginForm
from . import groups, trail, users  # noqa: F401 - register their ModelAdmins
from .forms import OwnPasswordChangeAdminForm

admin.site.login_form = AdminLoginForm
# "Change password" in the admin's header: Django's view, our form, whose save
# goes through users.services (audited, the other sessions end).
admin.site.password_change_form = OwnPasswordChangeAdminForm

# django-otp registers admins that edit devices directly (and show their
# secrets): second factors change only through users.services, audited.
for _device in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device):
        admin.site.unregister(_device)
