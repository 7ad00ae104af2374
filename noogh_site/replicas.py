"""The read replica's settings, from the environment (imported by settings.py,
kept apart so that it stays short; noogh_site.routers and .replica_health read
them).

DATABASE_REPLICA_URL: an optional read replica; reads go there, writes and
read-your-writes to the primary; its tests mirror the primary. A replica that
does not answer within REPLICA_CONNECT_TIMEOUT seconds is skipped.

After a write, a client reads the primary for REPLICA_PIN_SECONDS (a cookie).
The replica is probed every REPLICA_CHECK_SECONDS (giving up after
REPLICA_CHECK_TIMEOUT) and read only while its lag is at most
REPLICA_MAX_LAG_SECONDS: together less than the pin, so the pin outlasts any
lag the replica is read with.
"""

from .environment import database, env, stop


def add_replica(databases: dict) -> None:
    """Add the "replica" alias to databases when DATABASE_REPLICA_URL is set."""
    if not env.str("DATABASE_REPLICA_URL", default=""):
        return
    replica = database(env.str("DATABASE_REPLICA_URL")) | {
        "TEST": {"MIRROR": "default"}
    }
    if replica["ENGINE"].endswith("postgresql"):
        replica.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.int("REPLICA_CONNECT_TIMEOUT", default=1)
        )
    databases["replica"] = replica


def timings() -> tuple[int, float, float, float]:
    """REPLICA_PIN_SECONDS, _MAX_LAG_SECONDS, _CHECK_SECONDS, _CHECK_TIMEOUT."""
    try:
        pin = env.int("REPLICA_PIN_SECONDS", default=5)
        max_lag = env.float("REPLICA_MAX_LAG_SECONDS", default=3.0)
        check = env.float("REPLICA_CHECK_SECONDS", default=1.0)
        check_timeout = env.float("REPLICA_CHECK_TIMEOUT", default=1.0)
    except ValueError as error:
        stop(f"REPLICA_* settings are numbers of seconds: {error}")
    if max_lag + check >= pin:
        stop(
            "REPLICA_MAX_LAG_SECONDS + REPLICA_CHECK_SECONDS must be less than "
            f"REPLICA_PIN_SECONDS ({max_lag} + {check} >= {pin}): a client could "
            "read a replica that has not replayed its own write yet"
        )
    return pin, max_lag, check, check_timeout
