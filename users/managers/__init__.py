"""The query layer: every read query on users, as QuerySets and their managers.

accounts: UserQuerySet and UserManager (search, the hierarchy query, locking,
    lookups and their async twins), over
search: the searched fields, the search box's help, what counts as an email;
ordering: the last-login key, the list's orderings and keyset pages;
access: the permissions and groups an account holds or lacks;
counting: a table's size from the planner's estimate (no COUNT(*));
trail: AuditEvent's queries (an account's events, keyset pages, batches);
sessions: UserSession's queries (live, over).
"""

# Migration 0001 names the user manager by this path.
from .accounts import UserManager

__all__ = ["UserManager"]
