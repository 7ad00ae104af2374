"""The second-factor pages, under /accounts/mfa/."""

from django.urls import path

from . import mfa

app_name = "mfa"

urlpatterns = [
    path("", mfa.SecurityView.as_view(), name="security"),
    path("setup/", mfa.SetupView.as_view(), name="setup"),
    path("verify/", mfa.VerifyView.as_view(), name="verify"),
    path("recovery-codes/", mfa.RecoveryCodesView.as_view(), name="recovery_codes"),
]
