"""Everything noogh stores about one account, as one JSON document: the
subject-access export. Streamed section by section, so an account with a
long trail costs a few rows of memory, never the whole trail.

Never in it: the password hash, second-factor secrets, session keys.
"""

import json
from collections.abc import Iterable, Iterator
from functools import partial

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from . import attempts, factors
from .managers.streaming import streamed
from .models import (
    AuditEvent,
    DormancyExemption,
    DormancyWarning,
    Suspension,
    User,
    UserSession,
)

FORMAT = "noogh subject access export, version 1"
ACCOUNT_FIELDS = [
    "id",
    "username",
    "email",
    "full_name",
    "is_active",
    "is_staff",
    "is_superuser",
    "created_at",
    "updated_at",
    "last_login",
]
SUSPENSION_FIELDS = ["reason", "note", "until", "message", "at"]
SESSION_FIELDS = ["created_at", "last_seen_at", "expires_at", "ip", "browser"]
SIGN_IN_FIELDS = ["attempt_time", "ip_address", "user_agent", "path_info"]
EVENT_FIELDS = ["at", "action", "actor_label", "target_label", "ip", "changes"]

dumps = partial(json.dumps, cls=DjangoJSONEncoder, ensure_ascii=False)


def account(user: User) -> dict:
    profile = {name: getattr(user, name) for name in ACCOUNT_FIELDS}
    return profile | {"can_log_in_with_password": user.has_usable_password()}


def lifecycle(user: User) -> dict:
    """The end of access, the suspension in force (past ones are in the
    audit events), and the dormant-account policy's records."""
    suspension = Suspension.objects.filter(user=user)
    exemption = DormancyExemption.objects.filter(user=user).first()
    warning = DormancyWarning.objects.filter(user=user).first()
    return {
        "active_until": user.active_until,
        "suspension": suspension.values(*SUSPENSION_FIELDS).first(),
        "dormancy_exemption": exemption
        and {"note": exemption.note, "at": exemption.at, "by": exemption.by_label},
        "dormancy_warning_sent_at": warning and warning.sent_at,
    }


def access(user: User) -> dict:
    return {
        "groups": sorted(user.groups.values_list("name", flat=True)),
        "direct_permissions": sorted(
            f"{app}.{codename}"
            for app, codename in user.user_permissions.values_list(
                "content_type__app_label", "codename"
            )
        ),
        "all_permissions": sorted(user.get_all_permissions()),
        "second_factors": str(factors.status(user)),
    }


def streamed_sections(user: User) -> dict[str, Iterable[dict]]:
    records = attempts.sign_in_records_of(user)
    return {
        "sessions": UserSession.objects.all_of(user).values(*SESSION_FIELDS),
        "sign_ins": records["sign_ins"].values(*SIGN_IN_FIELDS, "logout_time"),
        "failed_sign_ins": records["failed_sign_ins"].values(*SIGN_IN_FIELDS),
        "failure_counters": records["failure_counters"].values(
            *SIGN_IN_FIELDS, "failures_since_start"
        ),
        "audit_events_about_account": _own_addresses_only(
            user,
            AuditEvent.objects.about(user)
            .order_by("at", "id")
            .values(*EVENT_FIELDS, "actor_id"),
        ),
        "audit_events_by_account": AuditEvent.objects.by(user).values(*EVENT_FIELDS),
    }


def _own_addresses_only(user: User, events) -> Iterator[dict]:
    """An event's client address is its actor's: the account holder gets
    theirs, never those of the staff who acted on the account."""
    for event in _iterate(events):
        if event.pop("actor_id") != user.pk:
            event["ip"] = None
        yield event


def json_chunks(user: User) -> Iterator[str]:
    """The document, a piece at a time (a StreamingHttpResponse's content)."""
    head = {"format": FORMAT, "generated_at": timezone.now()}
    head |= {"account": account(user), "lifecycle": lifecycle(user)} | access(user)
    yield "{\n" + ",\n".join(
        f" {dumps(key)}: {dumps(value)}" for key, value in head.items()
    )
    for name, rows in streamed_sections(user).items():
        yield f",\n {dumps(name)}: ["
        separator = "\n  "
        for row in _iterate(rows):
            yield separator + dumps(row)
            separator = ",\n  "
        yield "\n ]"
    yield "\n}\n"


def _iterate(rows) -> Iterable[dict]:
    return streamed(rows) if hasattr(rows, "iterator") else rows
