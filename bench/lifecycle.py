"""Time the data-governance operations on one account with a long trail:
erasure (goal <= 1 s with 10,000 audit events) and the subject-access export.
The trail is sealed into the hash chain first (untimed; its time is reported):
an erasure rewrites sealed events, under the trail's guarding trigger.
Prints JSON. Run by bench/run.py with DATABASE_URL pointing at PostgreSQL.
"""

import argparse
import json
import statistics
import time

import django

django.setup()

from django.db import connection  # noqa: E402

from users import services  # noqa: E402
from users.audit import chain  # noqa: E402
from users.models import AuditEvent, User  # noqa: E402

NAME = "bench-erasure-{}"


def account_with_trail(number: int, events: int) -> User:
    """An account and `events` audit events about it (one in ten renames it)."""
    user = services.user_create(
        actor=None,
        username=NAME.format(number),
        email=f"{NAME.format(number)}@example.org",
        full_name="Bench Erasure",
    )
    AuditEvent.objects.bulk_create(
        (
            AuditEvent(
                action="update",
                actor_label="bench-admin",
                target_id=user.pk,
                target_label=user.username,
                changes={"email": [f"old{n}@example.org", user.email]}
                if n % 10 == 0
                else {"full_name": ["Bench", "Bench Erasure"]},
            )
            for n in range(events)
        ),
        batch_size=2000,
    )
    return user


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE users_auditevent")
    exports, erasures, seals = [], [], []
    for number in range(args.repeat):
        user = account_with_trail(time.time_ns() + number, args.events)
        started = time.perf_counter()
        seals.append((chain.seal(), time.perf_counter() - started))
        exports.append(
            timed(
                lambda user=user: "".join(
                    services.user_export_personal_data(actor=None, user=user)
                )
            )
        )
        erasures.append(
            timed(
                lambda user=user: services.user_erase(
                    actor=None, user=user, basis="bench"
                )
            )
        )
        # Gone again, so that measure.py finds the number of users it seeded
        # (a different count makes it seed them all afresh).
        services.user_delete(actor=None, user=user)
    print(
        json.dumps(
            {
                "events": args.events,
                "export_ms_p50": statistics.median(exports),
                "erasure_ms_p50": statistics.median(erasures),
                "erasure_ms_max": max(erasures),
                "erasure_runs": len(erasures),
                # The first run may seal the whole trail of the database.
                "sealed_events": sum(count for count, _ in seals),
                "seal_s": sum(seconds for _, seconds in seals),
            }
        )
    )


if __name__ == "__main__":
    main()
