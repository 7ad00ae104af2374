"""The dormant-account policy's records (users.models registers them): which
accounts are exempt from it, and when an account was last warned.

Tables of their own, keyed by the account, rather than columns on the users
table: nearly every account has neither, and the users table is read by
every request. What was exempted or warned when stays in the audit trail.
"""

from django.conf import settings
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_NOTE = 500


class DormancyExemption(models.Model):
    """The account is never deactivated for dormancy while this row exists."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="dormancy_exemption",
    )
    note = models.CharField(
        _("why"),
        max_length=MAX_NOTE,
        blank=True,
        validators=[ProhibitNullCharactersValidator()],
    )
    at = models.DateTimeField(_("exempted at"), default=timezone.now)
    # Plain id and label, as in the trail: the exemption outlives its author.
    by_id = models.BigIntegerField(_("exempted by (id)"), null=True, blank=True)
    by_label = models.CharField(_("exempted by"), max_length=150)

    class Meta:
        verbose_name = _("dormancy exemption")
        verbose_name_plural = _("dormancy exemptions")

    def __str__(self) -> str:
        return f"{self.user_id}: exempt"


class DormancyWarning(models.Model):
    """When the account was last warned that it is about to be deactivated.

    A warning counts for the dormancy period it was sent in: one sent before
    the account's last login is an old period's, so a login "resets" it with
    no write at login time."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="dormancy_warning",
    )
    sent_at = models.DateTimeField(_("warned at"))

    class Meta:
        verbose_name = _("dormancy warning")
        verbose_name_plural = _("dormancy warnings")

    def __str__(self) -> str:
        return f"{self.user_id}: warned {self.sent_at:%Y-%m-%d}"
