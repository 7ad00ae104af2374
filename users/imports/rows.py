"""What flows through an import: the staged row's shape, a rejection, the outcome."""

from dataclasses import dataclass, field

from ..models import EDITABLE_FIELDS

# The file's line, then the users_user columns a load writes (last_login is
# None from a file; demo data has some).
STAGED_COLUMNS = ("line", *EDITABLE_FIELDS, "created_at", "password", "last_login")
# Columns a merge writes into new users_user rows (besides updated_at).
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
    # Seconds per step, for `import_users -v 2` and the benchmark.
    phases: dict[str, float] = field(default_factory=dict)
