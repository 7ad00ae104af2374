"""The Suspension model (users.models registers it): why an account is shut
out, until when, and what its holder sees at login.

One row per account suspended now (its primary key is the account's): lifting
deletes it; what was suspended and lifted when stays in the audit trail. A
table of its own rather than six columns that are NULL on nearly every row of
the users table, which every request reads.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_TEXT = 500


class Suspension(models.Model):
    class Reason(models.TextChoices):
        SECURITY = "security", _("Security (a compromised account)")
        ABUSE = "abuse", _("Abuse of the terms of use")
        BILLING = "billing", _("Billing")
        REQUEST = "request", _("At the account holder's request")
        OTHER = "other", _("Another reason (say which)")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="suspension",
    )
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    note = models.CharField(_("details"), max_length=MAX_TEXT, blank=True)
    # None: until a person lifts it. The lifecycle run lifts it at this time.
    until = models.DateTimeField(_("until"), null=True, blank=True, db_index=True)
    # What the account holder reads at login, once their password is right.
    message = models.CharField(_("message at login"), max_length=MAX_TEXT, blank=True)
    at = models.DateTimeField(_("suspended at"), default=timezone.now)
    # Plain id and label, as in the trail: the suspension outlives its author.
    by_id = models.BigIntegerField(_("suspended by (id)"), null=True, blank=True)
    by_label = models.CharField(_("suspended by"), max_length=150)

    class Meta:
        verbose_name = _("suspension")
        verbose_name_plural = _("suspensions")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.reason}"
