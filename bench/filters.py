"""The list's filters at scale: the account states the seed leaves out, and
the scenarios that filter on them (our list, its API, both admins).

seed_users makes plain accounts (10% deactivated, 1% superusers, a quarter
that never logged in). The console also filters by group, staff, suspension
and end of access, so this adds, in plain SQL (benchmark data, not a write
path; rerunnable): two groups (1% and 300 members), 0.5% more staff, 20
superusers, 1,000
suspended and ~2,000 expiring accounts.
"""

from django.db import connection

LARGE_GROUP, SMALL_GROUP = "bench-large", "bench-small"
OURS, ADMIN, STOCK = "/users/", "/admin/users/user/", "/stock-admin/stock/stockuser/"
API = "/api/users"

STATES_SQL = [
    # Groups and their members (ids spread over the whole table).
    "INSERT INTO auth_group (name) VALUES (%(large)s), (%(small)s) "
    "ON CONFLICT (name) DO NOTHING",
    "INSERT INTO users_user_groups (user_id, group_id) "
    "SELECT u.id, g.id FROM users_user u, auth_group g "
    "WHERE (g.name = %(large)s AND u.id %% 100 = 1) "
    "OR (g.name = %(small)s AND u.id %% 3333 = 2) "
    "ON CONFLICT (user_id, group_id) DO NOTHING",
    "UPDATE users_user SET is_staff = true "
    "WHERE id %% 200 = 5 AND NOT is_staff AND username <> 'bench-admin'",
    "UPDATE users_user SET is_superuser = true, is_staff = true "
    "WHERE id %% 50000 = 11 AND NOT is_superuser",
    "INSERT INTO users_suspension (user_id, reason, note, message, at, by_label) "
    "SELECT id, 'other', '', '', now(), 'bench' FROM users_user "
    "WHERE NOT is_active AND id %% 100 = 7 ON CONFLICT (user_id) DO NOTHING",
    # End of access within the next 30 days, from today (a rerun moves them).
    "UPDATE users_user SET active_until = NULL WHERE active_until IS NOT NULL "
    "AND id %% 500 <> 3",
    "UPDATE users_user SET active_until = now() + (id %% 30) * interval '1 day' "
    "+ interval '1 hour' WHERE is_active AND id %% 500 = 3",
]


def prepare() -> None:
    """Add the states (idempotent); the caller VACUUM ANALYZEs users_user."""
    with connection.cursor() as cursor:
        for sql in STATES_SQL:
            cursor.execute(sql, {"large": LARGE_GROUP, "small": SMALL_GROUP})
        # As autovacuum would soon (its insert threshold): without statistics
        # the planner takes the 10,000 members for 56 and fetches them all to
        # sort them; without the visibility map a group's membership probe
        # reads the heap for every row a page walks (11.8 -> 6.4 ms, busy).
        for table in ("auth_group", "users_user_groups", "users_suspension"):
            cursor.execute(f"VACUUM ANALYZE {table}")


def group_id(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM auth_group WHERE name = %s", [name])
        return cursor.fetchone()[0]


def scenarios() -> dict[str, dict[str, str]]:
    """Scenario -> {target: url}: each filter of the console, on our list and
    wherever the API and the admins have the same filter."""
    large, small = group_id(LARGE_GROUP), group_id(SMALL_GROUP)
    return {
        "filter is_active=false": {
            "ours": f"{OURS}?is_active=false",
            "api": f"{API}?is_active=false&limit=25",
            "admin": f"{ADMIN}?is_active__exact=0",
            "stock": f"{STOCK}?is_active__exact=0",
        },
        "filter is_staff=true": {
            "ours": f"{OURS}?is_staff=true",
            "api": f"{API}?is_staff=true&limit=25",
            "admin": f"{ADMIN}?is_staff__exact=1",
            "stock": f"{STOCK}?is_staff__exact=1",
        },
        "filter is_superuser=true": {
            "ours": f"{OURS}?is_superuser=true",
            "api": f"{API}?is_superuser=true&limit=25",
            "admin": f"{ADMIN}?is_superuser__exact=1",
            "stock": f"{STOCK}?is_superuser__exact=1",
        },
        "filter never logged in": {"ours": f"{OURS}?last_login=never"},
        "filter last login 7 days": {"ours": f"{OURS}?last_login=last_7_days"},
        "filter last login this year": {"ours": f"{OURS}?last_login=this_year"},
        "filter group (1%)": {"ours": f"{OURS}?group={large}"},
        "filter group (300)": {"ours": f"{OURS}?group={small}"},
        "filter status=suspended": {
            "ours": f"{OURS}?status=suspended",
            "admin": f"{ADMIN}?status=suspended",
        },
        "filter status=deactivated": {
            "ours": f"{OURS}?status=deactivated",
            "admin": f"{ADMIN}?status=deactivated",
        },
        "filter expiring 7 days": {
            "ours": f"{OURS}?expiring=7d",
            "admin": f"{ADMIN}?status=expiring",
        },
    }
