"""The subject-access export: an account's own data, handed over on request.
Checked and recorded before the first byte goes out; see users.personal_data
for what the document holds."""

from collections.abc import Iterator

from django.db import transaction

from .. import permissions, personal_data
from ..audit import trail
from ..models import AuditEvent, User
from .base import FROM_REQUEST, lock, resolve_actor


def user_export_personal_data(*, actor=FROM_REQUEST, user: User) -> Iterator[str]:
    """Record the export of user's personal data, then stream the JSON document."""
    with transaction.atomic():
        stored, actor = lock(user, resolve_actor(actor))
        permissions.check_export_personal_data(actor, stored)
        trail.record(
            AuditEvent.Action.EXPORT,
            stored,
            {"personal_data": [None, "subject access export"]},
            actor=actor,
        )
    return personal_data.json_chunks(stored)
