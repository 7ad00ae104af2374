"""Every write to users goes through here: pages, admin, API and commands alike.

`actor` defaults to the signed-in user of the request being served (the
system outside a request); the rules in users.permissions are checked inside
each transaction on locked rows, and users.audit records one event per account.
"""

from .accounts import (
    StaleEdit,
    user_activate,
    user_change_own_password,
    user_create,
    user_deactivate,
    user_delete,
    user_set_groups_and_permissions,
    user_set_password,
    user_update,
    users_export,
    users_set_active,
)
from .asynchronous import (
    auser_activate,
    auser_create,
    auser_deactivate,
    auser_delete,
    auser_set_password,
    auser_update,
)
from .base import FROM_REQUEST, UserGone
from .bulk import BulkRefused, bulk_undo, undo_deadline, undo_refusal, users_bulk
from .dormancy import DormancyResult, user_set_dormancy_exemption
from .erasure import user_erase
from .groups import group_delete, group_save
from .imports import ImportConflict, ImportRefused, users_import
from .lifecycle import (
    check_end_date,
    user_lift_suspension,
    user_set_active_until,
    user_suspend,
)
from .links import user_invite, user_send_password_link, users_send_password_links
from .lockouts import lockout_forgive, lockout_lift
from .mfa import (
    mfa_cap_failures,
    mfa_enrol,
    mfa_new_recovery_codes,
    user_reset_mfa,
    users_reset_mfa,
)
from .policy import RunResult, lifecycle_run
from .sessions import (
    session_end,
    session_forgotten,
    session_rekeyed,
    session_seen,
    session_started,
    user_end_sessions,
    users_end_sessions,
)
from .subject_access import user_export_personal_data
from .tokens import token_create, token_revoke, token_used

__all__ = [
    "FROM_REQUEST",
    "BulkRefused",
    "DormancyResult",
    "ImportConflict",
    "ImportRefused",
    "RunResult",
    "StaleEdit",
    "UserGone",
    "auser_activate",
    "auser_create",
    "auser_deactivate",
    "auser_delete",
    "auser_set_password",
    "auser_update",
    "bulk_undo",
    "check_end_date",
    "group_delete",
    "group_save",
    "lifecycle_run",
    "lockout_forgive",
    "lockout_lift",
    "mfa_cap_failures",
    "mfa_enrol",
    "mfa_new_recovery_codes",
    "session_end",
    "session_forgotten",
    "session_rekeyed",
    "session_seen",
    "session_started",
    "token_create",
    "token_revoke",
    "token_used",
    "undo_deadline",
    "undo_refusal",
    "user_activate",
    "user_change_own_password",
    "user_create",
    "user_deactivate",
    "user_delete",
    "user_end_sessions",
    "user_erase",
    "user_export_personal_data",
    "user_invite",
    "user_lift_suspension",
    "user_reset_mfa",
    "user_send_password_link",
    "user_set_active_until",
    "user_set_dormancy_exemption",
    "user_set_groups_and_permissions",
    "user_set_password",
    "user_suspend",
    "user_update",
    "users_bulk",
    "users_end_sessions",
    "users_export",
    "users_import",
    "users_reset_mfa",
    "users_send_password_links",
    "users_set_active",
]
