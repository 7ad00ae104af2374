"""django-axes' failure records, the noogh way: the key a login's failures count
under, the lockouts in force now, and forgiving an account's failures.

axes keeps one AccessAttempt row per (key, IP, user agent) with its failure
count and the time of its latest failure. Its "username" column holds our key,
not what was typed: "user:<id>" for a login that names an account (any case or
Unicode form of its username, or its email), "login:<normalised login>" for
one that names none, so unknown logins are throttled exactly like known ones.
A row whose key is NULL has been forgiven: it counts against its IP only.
"""

import hashlib
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.db import DatabaseError, connections, router, transaction
from django.db.models import Max, QuerySet, Sum
from django.utils import timezone

from .models import User

ACCOUNT_PREFIX = "user:"
LOGIN_PREFIX = "login:"
# The key every invalid API bearer token counts under (users.api.auth): token
# guessing from one address is locked out like password guessing, without
# storing what was presented.
API_TOKEN_KEY = "token:api"
MAX_KEY = AccessAttempt._meta.get_field("username").max_length


def key_for_login(login: str | None) -> str:
    """The key one login's failures count under (never NULL: that marks a
    forgiven record)."""
    login = login or ""
    user = User.objects.get_by_login(login) if login else None
    if user is not None:
        return f"{ACCOUNT_PREFIX}{user.pk}"
    # casefold and NFKC, so that no spelling of one unknown login gets tries
    # of its own either.
    normalised = User.normalize_username(login).strip().casefold()
    return f"{LOGIN_PREFIX}{normalised}"[:MAX_KEY]


def account_id(key: str | None) -> int | None:
    """The id of the account a key names (None for an unknown login)."""
    if key and key.startswith(ACCOUNT_PREFIX):
        digits = key.removeprefix(ACCOUNT_PREFIX)
        if digits.isascii() and digits.isdigit():
            return int(digits)
    return None


def typed_login(key: str | None) -> str:
    """What was typed, for a key that names no account."""
    return (key or "").removeprefix(LOGIN_PREFIX)


def lockout_label(key: str | None, ip: str, account: User | None = None) -> str:
    """What a lockout locks, for people: "alice", "login bob", "IP 192.0.2.1"."""
    if key is None:
        return f"IP {ip}"
    if key == API_TOKEN_KEY:
        return f"API tokens from {ip}"
    account = account or account_of(key)
    if account is not None:
        return account.get_username()
    if account_id(key) is not None:
        return f"deleted account {account_id(key)}"
    return f"login {typed_login(key)}"


def cool_off() -> timedelta:
    return settings.AXES_COOLOFF_TIME


@dataclass(frozen=True)
class Lockout:
    """One lockout in force: an account (or an unknown login) from one IP, or,
    with no key, an IP whatever the accounts."""

    ip: str
    key: str | None
    failures: int
    last_failure: datetime
    account: User | None = None

    @property
    def until(self) -> datetime:
        # Every refused try is recorded as a failure, so the lockout ends one
        # cool-off after the latest one.
        return self.last_failure + cool_off()

    @property
    def label(self) -> str:
        return lockout_label(self.key, self.ip, self.account)


def attempts_from(ip: str, key: str | None = None) -> QuerySet:
    """The failure records of one IP (and, with a key, of that key there)."""
    records = AccessAttempt.objects.filter(ip_address=ip)
    return records.filter(username=key) if key is not None else records


def accounts_in(records: QuerySet) -> QuerySet:
    """The accounts whose failures these records hold."""
    keys = records.exclude(username=None).values_list("username", flat=True)
    return User.objects.filter(pk__in={account_id(key) for key in keys} - {None})


def account_of(key: str | None) -> User | None:
    pk = account_id(key)
    return User.objects.filter(pk=pk).first() if pk is not None else None


def failures_in(records: QuerySet) -> int:
    return records.aggregate(total=Sum("failures_since_start"))["total"] or 0


def current_lockouts(limit: int) -> tuple[list[Lockout], int]:
    """The lockouts in force, latest failure first: at most `limit`, and how
    many there are in all."""
    recent = AccessAttempt.objects.filter(
        attempt_time__gte=timezone.now() - cool_off()
    ).exclude(ip_address=None)
    pairs = _locked(
        recent.exclude(username=None).values("username", "ip_address"),
        settings.AXES_FAILURE_LIMIT,
    )
    # TieredLockoutHandler scales an IP's count to AXES_FAILURE_LIMIT; that
    # reaches the limit exactly when the count reaches LOGIN_IP_FAILURE_LIMIT.
    addresses = _locked(recent.values("ip_address"), settings.LOGIN_IP_FAILURE_LIMIT)
    rows = sorted([*pairs, *addresses], key=lambda row: row["last"], reverse=True)
    shown = rows[:limit]
    accounts = User.objects.in_bulk(
        {account_id(row.get("username")) for row in shown} - {None}
    )
    return [_lockout(row, accounts) for row in shown], len(rows)


def _locked(groups: QuerySet, limit: int) -> Iterable[dict]:
    return (
        groups.order_by()
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=limit)
    )


def _lockout(row: dict, accounts: dict[int, User]) -> Lockout:
    key = row.get("username")
    return Lockout(
        ip=row["ip_address"],
        key=key,
        failures=row["failures"],
        last_failure=row["last"],
        account=accounts.get(account_id(key)),
    )


@contextmanager
def one_attempt_at_a_time(address: str | None):
    """Hold a PostgreSQL advisory lock on the client address (as lockouts count
    it) from the lockout check to the recording of the failure.

    axes checks the count, the password is checked, and only then is the
    failure recorded: N logins sent at once all passed the check, so a burst
    of 20 tried 20 passwords against a limit of 5. Every count (account+IP,
    IP) includes the address, so one lock per address makes the check and the
    record one step; logins from other addresses are not held up.

    A transaction-level lock, in a transaction of its own: behind PgBouncer in
    transaction mode a session-level lock was taken on one server connection
    and "released" on another, so it stayed held and every later login from
    that address waited for ever (make scaleout-test found it). The attempt's
    writes (the failure record) commit with the transaction even when the
    attempt is refused: the refusal is re-raised after the commit.
    """
    connection = connections[router.db_for_write(AccessAttempt)]
    if connection.vendor != "postgresql":
        yield  # SQLite serialises writes already; no production use
        return
    digest = hashlib.blake2b(f"noogh-login:{address or ''}".encode(), digest_size=8)
    lock_id = int.from_bytes(digest.digest(), "big", signed=True)
    refusal = None
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_id])
        try:
            yield
        except DatabaseError:
            raise  # the transaction is broken: roll it back
        except Exception as error:  # a refused login: its record must commit
            refusal = error
    if refusal is not None:
        raise refusal


def sign_in_records_of(user: User) -> dict[str, QuerySet]:
    """What django-axes keeps about user's sign-ins, oldest first: the
    successful ones (axes logs them under the username), the failed ones and
    the failure counters in force (under our key, see key_for_login). The
    failed ones are kept only with AXES_ENABLE_ACCESS_FAILURE_LOG on."""
    names = [f"{ACCOUNT_PREFIX}{user.pk}", user.get_username()]

    def of(model) -> QuerySet:
        return model.objects.filter(username__in=names).order_by("attempt_time")

    return {
        "sign_ins": of(AccessLog),
        "failed_sign_ins": of(AccessFailureLog),
        "failure_counters": of(AccessAttempt),
    }
