"""CSV imports: reading a file (reader), staging and merging its rows in SQL
(staging, sql, indexes), or loading them into an empty table (firstload). The
rules and the audit trail are applied by users.services.users_import, which is
the only caller of the staging."""

from .firstload import fills_empty_table, load_into_empty
from .reader import HEADER_HINT, BadFile, UserCsvReader, check_file
from .rows import (
    CONFLICT_MODES,
    STAGED_COLUMNS,
    UPDATABLE_COLUMNS,
    MergeResult,
    Rejection,
)
from .staging import Staging

__all__ = [
    "CONFLICT_MODES",
    "HEADER_HINT",
    "STAGED_COLUMNS",
    "UPDATABLE_COLUMNS",
    "BadFile",
    "MergeResult",
    "Rejection",
    "Staging",
    "UserCsvReader",
    "check_file",
    "fills_empty_table",
    "load_into_empty",
]
