"""The AuditCheckpoint model (users.models registers it): where the hash chain
of the audit trail starts once the retention purge has deleted its beginning.

One row at most: the last purged event's chain position, hash and time. The
verifier starts from it as from the chain's genesis; the purge moves it
forward before it deletes (users.audit.retention), and on PostgreSQL a
trigger lets it move only forward and only to a sealed event's own hash.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditCheckpoint(models.Model):
    seq = models.BigIntegerField(_("last purged chain position"))
    hash = models.CharField(_("its chain hash"), max_length=64)
    through_at = models.DateTimeField(_("its time"))
    purged = models.BigIntegerField(_("events purged in all"), default=0)

    class Meta:
        # Kept by the purge, never by people: no permissions to grant.
        default_permissions = ()
        verbose_name = _("audit checkpoint")

    def __str__(self) -> str:
        return f"purged through #{self.seq}"
