"""The UserSession model (users.models registers it): the record of a
signed-in session."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .managers.sessions import UserSessionQuerySet


class UserSession(models.Model):
    """A signed-in session of an account, as its owner and staff see it.

    Django's session stores cannot list a user's sessions, so each sign-in
    leaves one of these beside its session (users.signin.sessions). The key
    stays on the server: pages and URLs name a session by its id.
    """

    # Django's session keys are at most 40 characters.
    session_key = models.CharField(_("session key"), max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="signed_in_sessions",
        db_index=False,  # the (user, last seen) index below serves it
    )
    # The account's session_epoch at sign-in: once the epoch moves on
    # (deactivation, demotion, a new password) the session is over, whichever
    # path raised it, so it is no longer listed.
    epoch = models.IntegerField(_("session epoch"))
    created_at = models.DateTimeField(_("started"), default=timezone.now)
    last_seen_at = models.DateTimeField(_("last seen"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    ip = models.GenericIPAddressField(_("client IP"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=300, blank=True)
    browser = models.CharField(_("browser"), max_length=100, blank=True)

    objects = UserSessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        ordering = ["-last_seen_at", "-id"]
        indexes = [
            models.Index(
                fields=["user", "-last_seen_at"], name="users_session_user_seen_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.browser or _('Unknown browser')} ({self.ip or _('no IP')})"
