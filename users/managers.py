"""Every read query on users: the seed's repository as a QuerySet and its manager."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, ClassVar

from asgiref.sync import sync_to_async
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.models import UserManager as AuthUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, models, transaction
from django.db.models import DateTimeField, Exists, OuterRef, Q, QuerySet, Value
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThan, TupleLessThan
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone

if TYPE_CHECKING:
    from .models import User

# Trigrams need three characters; shorter terms match as a prefix instead,
# which the same indexes still serve.
MIN_SUBSTRING_TERM = 3
SEARCH_FIELDS = ("email", "username", "full_name")
# Shown under the search box of the staff list and of the admin.
SEARCH_HELP = (
    f"Name, email or username, ignoring case. {MIN_SUBSTRING_TERM} or more "
    "characters match anywhere; 1–2 characters match the start of a field; "
    "a complete email address finds exactly that account."
)


# An account that never signed in sorts and filters as if it last did on this
# day, before any real login: "oldest login first" starts with the accounts
# that never logged in, "latest first" ends with them, and keyset pages need
# no NULL cases (NULL compares as unknown, so a row comparison would drop
# those rows). The (last_login_key, id) expression index serves sort and filters.
NEVER_LOGGED_IN = datetime(1, 1, 1, tzinfo=UTC)


def last_login_key() -> Coalesce:
    return Coalesce("last_login", Value(NEVER_LOGGED_IN, output_field=DateTimeField()))


# Sort columns that are expressions, aliased under these names.
SORT_EXPRESSIONS: dict[str, Callable[[], Any]] = {"last_login": last_login_key}


def _sort_alias(field: str) -> str:
    return f"{field}_key" if field in SORT_EXPRESSIONS else field


def estimated_row_count(model) -> int | None:
    """The planner's row estimate for a model's whole table (PostgreSQL), else
    None. COUNT(*) reads every row (~100 ms at 1M); pg_class.reltuples is kept
    fresh by autovacuum and costs nothing."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    # -1 until the table is first analysed.
    return row[0] if row and row[0] >= 0 else None


def _is_email(term: str) -> bool:
    try:
        validate_email(term)
    except ValidationError:
        return False
    return True


def permissions_of(user: User) -> QuerySet[Permission]:
    """The permissions user holds, directly or through a group (superuser
    status aside), each once, by app and name; `direct` says which are given
    to user itself."""
    held = Permission.objects.filter(Q(user=user.pk) | Q(group__user=user.pk))
    given = Permission.user_set.through.objects.filter(
        user=user.pk, permission=OuterRef("pk")
    )
    return (
        Permission.objects.filter(pk__in=held.values("pk"))
        .annotate(direct=Exists(given))
        .select_related("content_type")
        .order_by("content_type__app_label", "content_type__model", "codename")
    )


def permissions_beyond(actor: User) -> QuerySet[Permission]:
    """The permissions actor does not hold (the hierarchy's measure)."""
    held = Permission.objects.filter(Q(user=actor.pk) | Q(group__user=actor.pk))
    return Permission.objects.exclude(pk__in=held.values("pk"))


def groups_beyond(actor: User) -> QuerySet[Group]:
    """The groups giving a permission actor does not hold."""
    return Group.objects.filter(permissions__in=permissions_beyond(actor)).distinct()


def grants_beyond(
    actor: User, *, group_ids: Iterable[int], permission_ids: Iterable[int]
) -> tuple[list[tuple[str, str]], list[str]]:
    """What of these groups and permissions actor lacks, in two queries: the
    (group name, permission name) pairs of groups giving a permission beyond
    actor, and the names of the permissions beyond actor."""
    beyond = permissions_beyond(actor)
    in_groups = list(
        beyond.filter(group__in=list(group_ids))
        .order_by("group__name", "name")
        .values_list("group__name", "name")
    )
    direct = list(
        beyond.filter(pk__in=list(permission_ids))
        .order_by("name")
        .values_list("name", flat=True)
    )
    return in_groups, direct


class UserQuerySet(models.QuerySet):
    def active(self) -> UserQuerySet:
        return self.filter(is_active=True)

    def inactive(self) -> UserQuerySet:
        return self.filter(is_active=False)

    def staff(self) -> UserQuerySet:
        return self.filter(is_staff=True)

    def superusers(self) -> UserQuerySet:
        return self.filter(is_superuser=True)

    def with_email(self, email: str) -> UserQuerySet:
        # LOWER(email) = LOWER(%s) is what the case-insensitive unique index
        # covers; email__iexact (UPPER) would scan the table.
        return self.alias(email_ci=Lower("email")).filter(
            email_ci=Lower(Value(email.strip()))
        )

    def with_username(self, username: str) -> UserQuerySet:
        return self.alias(username_ci=Lower("username")).filter(
            username_ci=Lower(Value(username.strip()))
        )

    def search(self, term: str) -> UserQuerySet:
        """Match term in full name, email or username, ignoring case.

        A complete email address finds that account exactly (through the
        unique index): as a substring, its common trigrams ("com", "exa")
        would make the trigram index read most of the table.
        """
        term = " ".join(term.split())
        if not term:
            return self
        if len(term) > self._longest_searchable_value():
            # No stored value is that long, so nothing can contain it; asking
            # the database anyway only costs (SQLite refuses such patterns).
            return self.none()
        if _is_email(term):
            return self.with_email(term)
        lookup = "icontains" if len(term) >= MIN_SUBSTRING_TERM else "istartswith"
        match = Q()
        for field in SEARCH_FIELDS:
            match |= Q(**{f"{field}__{lookup}": term})
        return self.filter(match)

    def _longest_searchable_value(self) -> int:
        return max(self.model._meta.get_field(f).max_length for f in SEARCH_FIELDS)

    def changed_by(self, action: str) -> UserQuerySet:
        """The accounts a bulk action would change: (de)activating skips those
        already in that state; deleting and ending sessions take them all."""
        if action == "activate":
            return self.inactive()
        if action == "deactivate":
            return self.active()
        return self

    def sorted_by(self, ordering: str) -> UserQuerySet:
        """Order by one column ("-email" descends) with id as the tie-breaker."""
        descending = "-" if ordering.startswith("-") else ""
        rows, column = self._with_sort_column(ordering.removeprefix("-"))
        return rows.order_by(f"{descending}{column}", f"{descending}id")

    def beyond(self, ordering: str, key: tuple[Any, int]) -> UserQuerySet:
        """Rows that come after `key` (a (value, id) pair) in this ordering.

        A row comparison the (column, id) index serves at any depth, unlike OFFSET.
        """
        rows, column = self._with_sort_column(ordering.removeprefix("-"))
        after = TupleLessThan if ordering.startswith("-") else TupleGreaterThan
        return rows.filter(after(Tuple(column, "id"), key))

    def _with_sort_column(self, field: str) -> tuple[UserQuerySet, str]:
        """This queryset with the field's sort column (aliased if an
        expression), and that column's name."""
        column = _sort_alias(field)
        if field not in SORT_EXPRESSIONS or column in self.query.annotations:
            return self, column
        return self.alias(**{column: SORT_EXPRESSIONS[field]()}), column

    def never_logged_in(self) -> UserQuerySet:
        rows, column = self._with_sort_column("last_login")
        return rows.filter(**{column: NEVER_LOGGED_IN})

    def last_login_between(
        self, start: datetime | None = None, end: datetime | None = None
    ) -> UserQuerySet:
        """Accounts whose last login lies in [start, end); never is in no range."""
        rows, column = self._with_sort_column("last_login")
        rows = rows.filter(**{f"{column}__gt": NEVER_LOGGED_IN})
        if start is not None:
            rows = rows.filter(**{f"{column}__gte": start})
        if end is not None:
            rows = rows.filter(**{f"{column}__lt": end})
        return rows

    def in_group(self, group_id: int) -> UserQuerySet:
        """Members of one group: EXISTS over the membership table's
        (user_id, group_id) unique index."""
        membership = self.model.groups.through.objects.filter(
            user_id=OuterRef("pk"), group_id=group_id
        )
        return self.filter(Exists(membership))

    def count_up_to(self, cap: int) -> int:
        """Count, but stop after cap + 1 rows: 'more than cap' is all a page needs."""
        # Without order_by() the LIMIT subquery keeps the list's ORDER BY and
        # PostgreSQL walks a sort index through every non-matching row.
        return self.order_by()[: cap + 1].count()

    async def acount_up_to(self, cap: int) -> int:
        return await self.order_by()[: cap + 1].acount()

    def sort_key_of(self, pk: int, ordering: str) -> tuple[Any, int] | None:
        """(sort value, id) of one row, as stored now (a primary-key lookup);
        None when it is gone."""
        value = self._sort_value(pk, ordering).first()
        return (value, pk) if value is not None else None

    async def asort_key_of(self, pk: int, ordering: str) -> tuple[Any, int] | None:
        value = await self._sort_value(pk, ordering).afirst()
        return (value, pk) if value is not None else None

    def _sort_value(self, pk: int, ordering: str) -> QuerySet:
        # The value the list sorts by (last login: coalesced, never NULL), so
        # None can only mean "no such row".
        field = ordering.removeprefix("-")
        rows, column = self.filter(pk=pk).order_by(), _sort_alias(field)
        if field in SORT_EXPRESSIONS:
            rows = rows.annotate(**{column: SORT_EXPRESSIONS[field]()})
        return rows.values_list(column, flat=True)

    # Each read has an async twin (a-prefixed) on Django's native async ORM,
    # built from the same queryset so that both answer alike.

    def get_or_none(self, **filters: Any) -> User | None:
        return self.filter(**filters).first()

    async def aget_or_none(self, **filters: Any) -> User | None:
        return await self.filter(**filters).afirst()

    def get_by_email(self, email: str) -> User | None:
        return self.with_email(email).first()

    async def aget_by_email(self, email: str) -> User | None:
        return await self.with_email(email).afirst()

    def get_by_username(self, username: str) -> User | None:
        return self.with_username(username).first()

    async def aget_by_username(self, username: str) -> User | None:
        return await self.with_username(username).afirst()

    def get_by_login(self, login: str) -> User | None:
        return self.named_by_login(login).first()

    async def aget_by_login(self, login: str) -> User | None:
        return await self.named_by_login(login).afirst()

    def named_by_login(self, login: str) -> UserQuerySet:
        """The one account a login string names: with "@" an email, else a username.

        Usernames cannot contain "@" (users.models.LoginNameValidator), so the
        two never overlap and no username can shadow another account's email.
        The login is NFKC-normalised first, as usernames are when stored, so
        every Unicode form of a username names its account.
        """
        login = unicodedata.normalize("NFKC", login)
        if "@" in login:
            return self.with_email(login)
        return self.with_username(login)

    def listing(self, *, skip: int = 0, limit: int = 100, **filters: Any) -> list[User]:
        return list(self._slice(skip, limit, filters))

    async def alisting(
        self, *, skip: int = 0, limit: int = 100, **filters: Any
    ) -> list[User]:
        return [user async for user in self._slice(skip, limit, filters)]

    def _slice(self, skip: int, limit: int, filters: dict) -> UserQuerySet:
        if skip < 0 or limit < 0:
            raise ValueError("skip and limit must not be negative")
        return self.filter(**filters)[skip : skip + limit]

    def outranking(self, actor: User | None) -> UserQuerySet:
        """The accounts `actor` may not manage (the privilege hierarchy).

        Everyone is below a superuser (and the system, actor None). Otherwise
        superusers, staff when the actor is not staff, and every account
        holding a permission - directly or through a group - that the actor
        lacks, are above the actor. One query, for one account or a million.
        """
        if actor is None or actor.is_superuser:
            return self.none()
        beyond = permissions_beyond(actor)
        above = (
            Q(is_superuser=True)
            | Exists(beyond.filter(user=OuterRef("pk")))
            | Exists(beyond.filter(group__user=OuterRef("pk")))
        )
        if not actor.is_staff:
            above |= Q(is_staff=True)
        return self.filter(above)

    def lock_for_write(
        self,
        ids: Iterable[int],
        *,
        matching: QuerySet | None = None,
        with_active_superusers: bool = False,
    ) -> None:
        """Lock these rows, those of `matching` (a queryset of users), and if
        asked every active superuser's, in one statement in id order: the one
        global order every write takes, so that two writes can wait for each
        other but never deadlock."""
        match = Q(pk__in=set(ids))
        if matching is not None:
            match |= Q(pk__in=matching.order_by().values("pk"))
        if with_active_superusers:
            match |= Q(is_active=True, is_superuser=True)
        rows = self.filter(match).order_by("pk")
        if transaction.get_connection(self.db).in_atomic_block:
            # The rows are not returned: a million-row selection stays in SQL.
            for _ in rows.select_for_update().values_list("pk").iterator(2000):
                pass

    def lock_active_superuser_ids(self) -> list[int]:
        """The active superusers' ids; inside a transaction their rows are locked
        (in id order, so concurrent callers cannot deadlock)."""
        superusers = self.active().superusers().order_by("pk")
        if transaction.get_connection(self.db).in_atomic_block:
            superusers = superusers.select_for_update()
        return list(superusers.values_list("pk", flat=True))

    def duplicated_fields(self, user: User) -> list[str]:
        """Name the identity fields another user already holds, ignoring case."""
        others = self.exclude(pk=user.pk) if user.pk else self
        fields = []
        if others.with_email(user.email).exists():
            fields.append("email")
        if others.with_username(user.username).exists():
            fields.append("username")
        return fields


class EstimatedCountMixin:
    """For the admin's paginator (users.pagination): the whole table's size
    without COUNT(*)."""

    def estimated_count(self) -> int | None:
        return estimated_row_count(self.model)

    async def aestimated_count(self) -> int | None:
        return await sync_to_async(estimated_row_count)(self.model)


class UserManager(EstimatedCountMixin, AuthUserManager.from_queryset(UserQuerySet)):
    def get_by_natural_key(self, username: str) -> User:
        return self.get_queryset().with_username(username).get()

    async def aget_by_natural_key(self, username: str) -> User:
        # Django's own twin is an exact, case-sensitive aget(username=...).
        return await self.get_queryset().with_username(username).aget()

    # Django's create_user and create_superuser (createsuperuser, tests) take
    # the validated, audited write path of every other entry point:
    # services.user_create, registered here by UsersConfig.ready(), because
    # the query layer may not import the layer above it.
    create_path: ClassVar[Callable[..., User]]

    def _create_user(self, username, email, password, **extra_fields):
        return self.create_path(
            username=username, email=email or "", password=password, **extra_fields
        )

    async def _acreate_user(self, username, email, password, **extra_fields):
        # acreate_user / acreate_superuser: Django's twin builds and asave()s the
        # row itself, which skipped validation and the audit trail.
        return await sync_to_async(self._create_user)(
            username, email, password, **extra_fields
        )


class AuditEventQuerySet(models.QuerySet):
    def about(self, user: User, *, after=None) -> AuditEventQuerySet:
        """Events concerning one user, newest first (optionally after a time)."""
        events = self.filter(target_id=user.pk)
        if after is not None:
            events = events.filter(at__gt=after)
        return events.order_by("-at", "-id")

    def count_up_to(self, cap: int) -> int:
        """Count, but stop after cap + 1 events."""
        return self.order_by()[: cap + 1].count()

    def oldest_first(self) -> AuditEventQuerySet:
        return self.order_by("at", "id")

    def older_than(self, key: tuple[datetime, int]) -> AuditEventQuerySet:
        """Events before `key` (an (at, id) pair), newest first. `at <=` is the
        condition the (target, at) index walks from; ties at that moment are
        told apart by id."""
        at, pk = key
        return self.filter(at__lte=at).exclude(at=at, pk__gte=pk)

    def newer_than(self, key: tuple[datetime, int]) -> AuditEventQuerySet:
        at, pk = key
        return self.filter(at__gte=at).exclude(at=at, pk__lte=pk)

    def key_of(self, pk: int) -> tuple[datetime, int] | None:
        """(at, id) of one of these events (a primary-key lookup); None when
        it is not one of them."""
        values = list(self.order_by().filter(pk=pk).values_list("at", flat=True)[:1])
        return (values[0], pk) if values else None

    # A bulk action's own event has no target; its accounts' events share its
    # batch (users.services.bulk).
    def bulk_action(self, batch) -> AuditEventQuerySet:
        # Both columns of the (batch, action) index: found by it, however many
        # target-less events (exports, imports) the trail holds.
        return self.filter(batch=batch, action="bulk")

    def of_batch(self, batch) -> AuditEventQuerySet:
        """The events of the accounts a bulk action touched."""
        return self.filter(batch=batch, target_id__isnull=False)

    def touching(self, target_id, *, after: datetime) -> AuditEventQuerySet:
        """Events about an account (an id or OuterRef) later than a time."""
        return self.filter(target_id=target_id, at__gt=after)

    def by(self, user: User) -> AuditEventQuerySet:
        """Events user was the actor of, oldest first."""
        return self.filter(actor_id=user.pk).order_by("at", "id")


class UserSessionQuerySet(models.QuerySet):
    def live_of(self, user: User) -> UserSessionQuerySet:
        """user's sessions that still let someone in, most recently seen first.

        A session is over once it expires or the account's session epoch has
        moved on past the one it signed in under (users.models.User).
        """
        return self.filter(
            user=user, epoch=user.session_epoch, expires_at__gt=timezone.now()
        ).order_by("-last_seen_at", "-id")

    def all_of(self, user: User) -> UserSessionQuerySet:
        """Every session record of user, live or over, oldest first."""
        return self.filter(user=user).order_by("created_at", "id")

    def over_for(self, user: User, *, expired_before: datetime) -> UserSessionQuerySet:
        """The records of user's sessions that can no longer let anyone in:
        of an older epoch, or expired before the given time."""
        return self.filter(user=user).exclude(
            epoch=user.session_epoch, expires_at__gt=expired_before
        )


class AuditEventManager(
    EstimatedCountMixin, models.Manager.from_queryset(AuditEventQuerySet)
):
    pass
