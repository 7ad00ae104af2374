"""The SQL of the staging and the merge: its tables, statements and the fragments
that differ between PostgreSQL and SQLite."""

from django.db import connection

from ..models import User
from .rows import BOOLEAN_COLUMNS, USER_COLUMNS

CREATED_AUDIT_COLUMNS = (
    "email",
    "full_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "username",
)


def staging_table_sql() -> str:
    """users_staging, its text columns as long as the model's fields."""
    size = {name: User._meta.get_field(name).max_length for name in USER_COLUMNS}
    return f"""
CREATE TEMPORARY TABLE users_staging (
    line integer NOT NULL,
    username varchar({size["username"]}) NOT NULL,
    email varchar({size["email"]}) NOT NULL,
    full_name varchar({size["full_name"]}) NOT NULL,
    is_active boolean NOT NULL,
    is_staff boolean NOT NULL,
    is_superuser boolean NOT NULL,
    created_at timestamp with time zone NOT NULL,
    password varchar({size["password"]}) NOT NULL,
    last_login timestamp with time zone NULL
)
"""


def insert_sql(skip_stored: bool) -> str:
    """INSERT the staged rows into users_user, in line order; one parameter:
    updated_at. skip_stored: rows clashing with a stored user are left out."""
    return f"""
        INSERT INTO users_user ({", ".join(USER_COLUMNS)}, updated_at)
        SELECT {", ".join(USER_COLUMNS)}, %s FROM users_staging
        WHERE true ORDER BY line
        {"ON CONFLICT DO NOTHING" if skip_stored else ""}"""


def created_columns(prefix: str = "") -> str:
    """target_id, target_label, changes (JSON) of a new users_user row."""
    return (
        f"{prefix}id AS target_id, {prefix}username AS target_label, "
        f"{created_changes(prefix)} AS changes"
    )


def created_changes(prefix: str) -> str:
    """{"email": [null, new], ...}: the audited columns of a new row."""
    columns = sorted(CREATED_AUDIT_COLUMNS)
    if connection.vendor != "postgresql":
        pairs = [
            (c, json_array("NULL", json_value(f"{prefix}{c}", c))) for c in columns
        ]
        return json_object(pairs)
    # The same jsonb, parsed once from text: nesting jsonb_build_array in
    # jsonb_build_object costs 60% more (5.4 against 3.3 us a row, which a
    # million-row import pays once per account).
    members = " || ', ' || ".join(
        f"'\"{c}\": [null, ' || {_json_text(f'{prefix}{c}', c)} || ']'" for c in columns
    )
    return f"CAST('{{' || {members} || '}}' AS jsonb)"


def _json_text(expression: str, column: str) -> str:
    if column in BOOLEAN_COLUMNS:
        return f"CAST({expression} AS text)"  # true / false
    return f"CAST(to_json({expression}) AS text)"  # a quoted, escaped string


def changes_table_sql(columns: list[str]) -> str:
    """users_changes: the stored users a staged row changes, old and new values."""
    selected = "".join(f", u.{c} AS old_{c}, s.{c} AS new_{c}" for c in columns)
    selected += ", u.is_active AND u.is_superuser AS was_active_superuser"
    differs = " OR ".join(f"u.{c} <> s.{c}" for c in columns) or "false"
    return f"""CREATE TEMPORARY TABLE users_changes AS
        SELECT u.id, u.username, s.line{selected}
        FROM users_user AS u JOIN users_staging AS s
        ON LOWER(u.username) = LOWER(s.username)
        WHERE {differs}"""


def update_assignments(columns: list[str]) -> str:
    """SET clause of an update merge: the new values from users_changes (c)."""
    assignments = ", ".join(f"{c} = c.new_{c}" for c in columns)
    if "is_superuser" in columns:
        # A superuser needs staff status to reach the admin.
        assignments += ", is_staff = users_user.is_staff OR c.new_is_superuser"
    losing = [
        f"(users_user.{c} AND NOT c.new_{c})"
        for c in columns
        if c in ("is_active", "is_superuser")
    ]
    if losing:
        # Losing access or power ends the account's sessions.
        assignments += (
            ", session_epoch = users_user.session_epoch + CASE WHEN "
            f"{' OR '.join(losing)} THEN 1 ELSE 0 END"
        )
    return assignments


def as_text(column: str) -> str:
    return f"CAST({column} AS text)" if column in BOOLEAN_COLUMNS else column


def json_value(expression: str, column: str) -> str:
    if column in BOOLEAN_COLUMNS and connection.vendor == "sqlite":
        # SQLite keeps booleans as 0/1; the trail shows true/false.
        return f"CASE WHEN {expression} THEN json('true') ELSE json('false') END"
    return expression


def json_change(column: str) -> str:
    """[old, new] where they differ, else NULL (dropped from the object)."""
    old, new = f"c.old_{column}", f"c.new_{column}"
    pair = json_array(json_value(old, column), json_value(new, column))
    return f"CASE WHEN {old} <> {new} THEN {pair} END"


def json_array(*items: str) -> str:
    # jsonb on PostgreSQL: a json array inside jsonb_build_object is printed
    # and parsed again (2.4x the cost of the created events of an import).
    function = (
        "jsonb_build_array" if connection.vendor == "postgresql" else "json_array"
    )
    return f"{function}({', '.join(items)})"


def json_object(pairs: list[tuple[str, str]]) -> str:
    function = (
        "jsonb_build_object" if connection.vendor == "postgresql" else "json_object"
    )
    return f"{function}({', '.join(f"'{key}', {value}" for key, value in pairs)})"


def json_object_without_nulls(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "CAST('{}' AS jsonb)" if connection.vendor == "postgresql" else "'{}'"
    if connection.vendor == "postgresql":
        return f"jsonb_strip_nulls({json_object(pairs)})"
    return f"json_patch('{{}}', {json_object(pairs)})"  # a null member removes it
