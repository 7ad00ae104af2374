"""What flows through an import: the staged row's shape, a rejection, the outcome."""

from dataclasses import dataclass

from ..models import EDITABLE_FIELDS

# The file's line, then the users_user columns a load writes.
STAGED_COLUMNS = ("line", *EDITABLE_FIELDS, "created_at", "password")
# Columns a merge writes into users_user (besides updated_at and last_login).
USER_COLUMNS = STAGED_COLUMNS[1:]
# Columns an update may write, when the file has them (and is_superuser only
# when privileges may change); is_staff follows a promotion to superuser.
UPDATABLE_COLUMNS = ("email", "full_name", "is_active", "is_superuser")
BOOLEAN_COLUMNS = frozenset({"is_active", "is_staff", "is_superuser"})
CONFLICT_MODES = ("skip", "update", "fail")


@dataclass
class Rejection:
    line: int
    field: str
    value: str
    message: str


@dataclass
class MergeResult:
    inserted: int = 0
    updated: int = 0
    skipped: int = 0
    rejected: int = 0
