"""The ApiToken model (users.models registers it): a personal API token."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """A personal API token: acts as its owner (users.api.auth) until it
    expires, is revoked, or the owner's sessions are ended (`epoch`).

    Only a SHA-256 digest of the token is stored; the token is shown once.
    `prefix` is a random, non-secret part of the token for finding its row.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        db_index=False,
    )
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=16, unique=True)
    digest = models.CharField(_("digest"), max_length=64)
    # The owner's session_epoch at creation: "sign out everywhere", a new
    # password or deactivation end the owner's tokens as they end sessions.
    epoch = models.IntegerField(_("session epoch"))
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"], name="users_token_user_idx")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    def is_live(self, now=None) -> bool:
        """Not revoked, not expired, and its owner's sessions not ended since."""
        now = now or timezone.now()
        return (
            self.revoked_at is None
            and self.expires_at > now
            and self.epoch == self.user.session_epoch
        )
