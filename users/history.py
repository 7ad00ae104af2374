"""The trail written for people: one sentence per event ("Deactivated by ana")
and its details ("Email: a@example.com → b@example.com", Yes/No for booleans).

The one place that turns an AuditEvent into words, for the user's page, its
history pages, the admin's trail and the stale-edit message. Events never hold
a password or a hash (users.audit), so nothing here can show one.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.utils.html import format_html, format_html_join

from .models import AuditEvent

Action = AuditEvent.Action
EMPTY = "—"

# What happened, said of the account ("... by ana").
SENTENCES = {
    Action.CREATE: "Created",
    Action.UPDATE: "Changed",
    Action.ACTIVATE: "Activated",
    Action.DEACTIVATE: "Deactivated",
    Action.DELETE: "Deleted",
    Action.PASSWORD: "Password changed",
    Action.GRANT: "Groups and permissions changed",
    Action.EXPORT: "Users exported",
    Action.IMPORT: "Users imported",
    Action.MFA_ENROL: "Two-factor authentication set up",
    Action.MFA_CODES: "Recovery codes replaced",
    Action.MFA_RESET: "Two-factor authentication reset",
    Action.END_SESSION: "A session ended",
    Action.END_SESSIONS: "All sessions ended",
    Action.UNLOCK: "Lockout lifted",
    Action.PASSWORD_LINK: "Password link sent",
    Action.ERASE: "Personal data erased",
    Action.BULK: "Bulk change",
    Action.TOKEN_CREATE: "API token created",
    Action.TOKEN_REVOKE: "API token revoked",
    Action.TOKEN_USE: "API token used (first use that day)",
    Action.SUSPEND: "Suspended",
    Action.LIFT: "Suspension lifted",
    Action.ACTIVE_UNTIL: "End of access changed",
    Action.EXPIRE: "Access ended (its end date came)",
    Action.DORMANT: "Deactivated as dormant (no login for too long)",
    Action.DORMANT_WARN: "Warned of deactivation as dormant",
    Action.DORMANT_EXEMPT: "Dormancy exemption changed",
}
# A bulk event (services.bulk) says what it did to how many accounts.
BULK_DONE = {
    "activate": "activated",
    "deactivate": "deactivated",
    "delete": "deleted",
    "end_sessions": "signed out everywhere",
}
BULK_SAID = {"action", "count", "undoes", "skipped", "skipped_sample"}
# services.links records "invitation sent to a@x" or "reset sent to a@x".
LINK_KINDS = {"invitation": "Invitation", "reset": "Password reset link"}
PASSWORD_SENTENCES = {
    "set": "Password set",
    "made unusable": "Password made unusable (no password login)",
}
# The names the trail records changes under, as people read them.
LABELS = {
    "username": "Username",
    "email": "Email",
    "full_name": "Full name",
    "is_active": "Active",
    "is_staff": "Staff",
    "is_superuser": "Superuser",
    "groups": "Groups",
    "user_permissions": "Permissions",
    "permissions": "Permissions",
    "name": "Name",
    "deleted group": "Deleted group",
    "two-factor": "Two-factor authentication",
    "recovery codes": "Recovery codes",
    "session": "Session",
    "sessions": "Signed-in sessions",
    "lockout": "Lockout",
    "filters": "Search",
    "basis": "Basis",
    "erased": "Erased",
    "scope": "Chosen",
    "token": "Token",
    "expires": "Expires",
    "reason": "Reason",
    "until": "Until",
    "message": "Message at login",
    "active_until": "Active until",
    "dormancy_exempt": "Exempt from the dormant-account policy",
    "exemption_note": "Why exempt",
    "dormant_warning": "Warning",
}
# Changes the sentence says already: no detail line repeats them.
SAID_BY_THE_SENTENCE = {
    Action.ACTIVATE: {"is_active"},
    Action.DEACTIVATE: {"is_active"},
    Action.PASSWORD: {"password"},
    Action.PASSWORD_LINK: {"password_link"},
    Action.EXPORT: {"personal_data"},
    Action.BULK: BULK_SAID,
    Action.TOKEN_REVOKE: {"token"},
    Action.LIFT: {"is_active"},
    Action.EXPIRE: {"is_active"},
    Action.DORMANT: {"is_active"},
}


@dataclass(frozen=True)
class EventText:
    sentence: str
    details: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join([self.sentence, *self.details])

    def as_html(self) -> str:
        """The sentence in bold, then each detail on a line (the admin's)."""
        details = format_html_join("", "<br>{}", ((line,) for line in self.details))
        return format_html("<strong>{}</strong>{}", self.sentence, details)


def label(name: str) -> str:
    return LABELS.get(name, name.replace("_", " ").capitalize())


def value_text(value: Any) -> str:
    """A recorded value as people read it: Yes/No, a dash for nothing."""
    if value is True:
        return "Yes"
    if value is False:
        return "No"
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, list):
        return ", ".join(_item(entry) for entry in value)
    return str(value)


def _item(entry: Any) -> str:
    # Permissions are recorded as "App | model | Can do x": the last part says it.
    return str(entry).rsplit(" | ", 1)[-1]


def _set_change(name: str, old: list, new: list) -> str:
    added = [_item(entry) for entry in new if entry not in old]
    removed = [_item(entry) for entry in old if entry not in new]
    parts = []
    if added:
        parts.append(f"added {', '.join(added)}")
    if removed:
        parts.append(f"removed {', '.join(removed)}")
    return f"{label(name)}: {'; '.join(parts) or 'unchanged'}"


def _change(name: str, recorded: Any) -> str:
    if not (isinstance(recorded, list) and len(recorded) == 2):
        return f"{label(name)}: {value_text(recorded)}"  # a summary, not a change
    old, new = recorded
    if isinstance(old, list) and isinstance(new, list):
        return _set_change(name, old, new)
    if old is None:  # set for the first time (creation)
        return f"{label(name)}: {value_text(new)}"
    return DETAIL_CHANGES.get(name, _arrow)(name, old, new)


def _arrow(name: str, old: Any, new: Any) -> str:
    return f"{label(name)}: {value_text(old)} → {value_text(new)}"


DETAIL_CHANGES: dict[str, Callable[[str, Any, Any], str]] = {
    "session": lambda name, old, new: f"Session: {old}",
    "sessions": lambda name, old, new: f"Signed-in sessions ended: {old}",
    "lockout": lambda name, old, new: f"Lockout: {old}",
    "deleted group": lambda name, old, new: f"Deleted group: {old}",
}


def _sentence(event: AuditEvent) -> str:
    what = SENTENCES.get(event.action)
    if event.action == Action.PASSWORD:
        recorded = (event.changes or {}).get("password") or [None, None]
        what = PASSWORD_SENTENCES.get(recorded[-1], what)
    elif event.action == Action.PASSWORD_LINK:
        recorded = (event.changes or {}).get("password_link") or [None, ""]
        kind, _, rest = str(recorded[-1]).partition(" ")
        if kind in LINK_KINDS and rest:
            what = f"{LINK_KINDS[kind]} {rest}"
    elif event.action == Action.EXPORT and "personal_data" in (event.changes or {}):
        what = "Personal data exported (subject access)"
    elif event.action == Action.BULK:
        what = _bulk_sentence(event.changes or {})
    elif event.action == Action.TOKEN_REVOKE:
        recorded = (event.changes or {}).get("token") or [None, None]
        what = f"API token {recorded[0]} revoked" if recorded[0] else what
    elif event.action == Action.GRANT and event.target_id is None:
        deleted = "deleted group" in (event.changes or {})
        what = f"{'Deleted' if deleted else 'Changed'} {event.target_label}".strip()
    if what is None:  # an action newer than this module: Django's label
        what = str(event.get_action_display()).capitalize()
    by = f"{what} by {event.actor_label}"
    # An account's own event from a bulk change shares the bulk event's batch.
    if getattr(event, "batch", None) and event.action != Action.BULK:
        return f"{by}, in a bulk change"
    return by


def _bulk_sentence(changes: dict) -> str:
    count = changes.get("count", 0)
    accounts = "1 account" if count == 1 else f"{count:,} accounts"
    done = BULK_DONE.get(changes.get("action"), "changed")
    if changes.get("undoes"):
        skipped = changes.get("skipped") or 0
        left = f" ({skipped:,} changed since, left alone)" if skipped else ""
        return f"Undo of a bulk change: {accounts} {done} again{left}"
    return f"Bulk change: {accounts} {done}"


def describe(event: AuditEvent) -> EventText:
    """The event as one sentence and its details, for people."""
    said = SAID_BY_THE_SENTENCE.get(event.action, set())
    details = [
        _change(name, recorded)
        for name, recorded in (event.changes or {}).items()
        if name not in said
    ]
    return EventText(_sentence(event), details)


def summary(events: Iterable[AuditEvent]) -> str:
    """Several events on one line (the stale-edit message), oldest first."""
    return "; ".join(str(describe(event)) for event in events)


@dataclass(frozen=True)
class HistoryEntry:
    """An event with its words, as the pages list it."""

    event: AuditEvent
    text: EventText


def entries(events: Iterable[AuditEvent]) -> list[HistoryEntry]:
    return [HistoryEntry(event, describe(event)) for event in events]
