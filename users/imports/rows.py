"""What flows through an import: the staged row's shape, a rejection, the outcome."""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

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
BOOLEANS = {
    "true": True,
    "1": True,
    "yes": True,
    "false": False,
    "0": False,
    "no": False,
}
# created_at must lie between these and now. No account of a web application
# was opened before 1970 (the Unix epoch, the start of every system this data
# comes from); an earlier date is a typo (0201 for 2021) or a placeholder
# (0001-01-01), and a year-1 date with a positive offset is stored as a BC
# date that no page, export or delete can read back.
EARLIEST_CREATED_AT = datetime(1970, 1, 1, tzinfo=UTC)
# No time zone is further from UTC (UTC-12:00 to UTC+14:00); PostgreSQL
# refuses offsets beyond ±15:59 with an error for the whole load.
LARGEST_UTC_OFFSET = timedelta(hours=14)


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
