"""What the user search looks in, the help shown under its box, and what it
takes for a complete email address."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.lookups import In

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


def is_email(term: str) -> bool:
    try:
        validate_email(term)
    except ValidationError:
        return False
    return True


class InSearchMatches(In):
    """pk IN (the search table's matching ids), worded for the planner
    (PostgreSQL; models.UserSearch holds the trigram indexes).

    A page or a capped count (a query with LIMIT) keeps the semi-join: the
    planner then either walks the sort index and probes the search table by
    primary key (a frequent term: 26 matches in a few hundred rows) or
    collects the matches through the trigram indexes and fetches them by
    primary key (a rare one). Without LIMIT every match is read anyway, and
    there the semi-join's cost model (each primary-key fetch priced as a
    random read) preferred scanning the whole users table and hashing at
    a few percent of matches ("zo" at 1M users: 144 ms, against 40 ms
    through the indexes); "= ANY(ARRAY(...))" collects the ids first and
    fetches exactly those.

    A prefix (1-2 characters) sorted by a searched column is read that way
    too, LIMIT or not: its matches lie together in that sort order, which
    the planner cannot know, so a walk could pass most of the table before
    the first one ("zo" by full name at 1M users: 5.8 s walking, 2.0 s
    before the search table; 98 ms collecting the ids first, and a
    one-letter prefix ~300 ms where its walk took from 0.5 ms to seconds).
    """

    def __init__(self, lhs, matches, *, prefix: bool = False):
        super().__init__(lhs, matches)
        self.matches = matches  # the ids' queryset (UserQuerySet.capped_ids)
        self.prefix = prefix

    def as_sql(self, compiler, connection):
        if compiler.query.is_sliced and not self._clustered(compiler.query):
            return super().as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return f"{lhs} = ANY(ARRAY{rhs})", (*lhs_params, *rhs_params)

    def _clustered(self, query) -> bool:
        """Whether the matches lie together in the query's sort order."""
        return self.prefix and any(
            isinstance(key, str) and key.removeprefix("-") in SEARCH_FIELDS
            for key in query.order_by
        )
