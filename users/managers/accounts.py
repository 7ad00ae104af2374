"""The accounts' queries: UserQuerySet (search, the hierarchy query, locking,
lookups by email, username or login, each with an async twin on Django's
native async ORM) and UserManager, whose create path is the audited service."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from asgiref.sync import sync_to_async
from django.contrib.auth.models import UserManager as AuthUserManager
from django.db import connections, transaction
from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Lower
from django.db.models.sql.where import AND

from .access import permissions_beyond
from .counting import EstimatedCountMixin
from .dormancy import DormancyQuerySet
from .membership import InGroup, group_members
from .search import MIN_SUBSTRING_TERM, SEARCH_FIELDS, InSearchMatches, is_email

if TYPE_CHECKING:
    from ..models import User

# The reverse one-to-one from User to its search entry (models.UserSearch).
SEARCH_ENTRY = "search_entry"


class UserQuerySet(DormancyQuerySet):
    def active(self) -> UserQuerySet:
        return self.filter(is_active=True)

    def inactive(self) -> UserQuerySet:
        return self.filter(is_active=False)

    def suspended(self) -> UserQuerySet:
        return self.filter(suspension__isnull=False)

    def deactivated_not_suspended(self) -> UserQuerySet:
        return self.filter(is_active=False, suspension__isnull=True)

    def expiring_between(self, start, end) -> UserQuerySet:
        """Active accounts whose access ends in [start, end) (a partial index)."""
        return self.filter(
            is_active=True, active_until__gte=start, active_until__lt=end
        )

    def access_ended(self, now) -> UserQuerySet:
        """Active accounts whose end of access has come (the lifecycle run)."""
        return self.filter(is_active=True, active_until__lte=now)

    def suspension_ended(self, now) -> UserQuerySet:
        """Suspended accounts whose suspension's end has come."""
        return self.filter(suspension__until__lte=now)

    def next_unlocked(self, size: int) -> list[int]:
        """Up to `size` ids of these rows, locked for this transaction in id
        order; rows another transaction holds are skipped (PostgreSQL's SKIP
        LOCKED: several runs at once share the work, none waits or repeats)."""
        rows = self.order_by("pk").select_for_update(skip_locked=True, of=("self",))
        return list(rows.values_list("pk", flat=True)[:size])

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
        if is_email(term):
            return self.with_email(term)
        lookup = "icontains" if len(term) >= MIN_SUBSTRING_TERM else "istartswith"
        match = Q()
        for field in SEARCH_FIELDS:
            match |= Q(**{f"{field}__{lookup}": term})
        if connections[self.db].vendor != "postgresql":
            return self.filter(match)
        # PostgreSQL: the trigram indexes are on the search table's copies of
        # these columns (models.UserSearch), where writes that leave them alone
        # do not pay for them.
        entries = self.model._meta.get_field(SEARCH_ENTRY).related_model.objects
        matches = entries.filter(match).values("user_id")
        prefix = lookup == "istartswith"
        return self.filter(InSearchMatches(F("pk"), matches, prefix=prefix))

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

    def in_group(self, group_id: int) -> UserQuerySet:
        """Members of one group (membership.InGroup)."""
        return self.filter(InGroup(self.model.groups.through, group_id))

    def count_up_to(self, cap: int) -> int:
        """Count, but stop after cap + 1 rows: 'more than cap' is all a page needs."""
        # Without order_by() the LIMIT subquery keeps the list's ORDER BY and
        # PostgreSQL walks a sort index through every non-matching row.
        return self.capped_ids(cap).count()

    async def acount_up_to(self, cap: int) -> int:
        return await self.capped_ids(cap).acount()

    def capped_ids(self, cap: int) -> QuerySet:
        """The ids of at most cap + 1 of these rows, in no order. When a search
        is the only filter (PostgreSQL), straight from the search table: every
        copy there has its account, and probing users_user for each of a
        common surname's 4,000 matches cost 7 of first_counted's 30 ms. A group
        alone: its ids from the membership table (membership.InGroup)."""
        matches = self._only_matches()
        if matches is None:
            return super().capped_ids(cap)
        return matches[: cap + 1]

    def _only_matches(self) -> QuerySet | None:
        """The search table's matching ids, or a group's from the membership
        table, when that search or group is all this filters by."""
        where = self.query.where
        if where.connector != AND or where.negated or len(where.children) != 1:
            return None
        (only,) = where.children
        if isinstance(only, InSearchMatches):
            return only.matches
        return group_members(only)

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
        login = self.model.normalize_username(login)
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
