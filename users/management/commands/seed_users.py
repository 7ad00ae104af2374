import random
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError

from users import services
from users.models import User

FIRST_NAMES = (
    "Ada Alan Alice Amara Ana Arjun Ben Bianca Carlos Chen Chloe Dana David Elena "
    "Emma Farah Felix Grace Hana Hugo Ines Ivan Jack Jana Jonas Kai Kenji Lara Leo "
    "Lina Luca Maya Mia Nadia Noah Nora Olga Omar Paul Priya Rosa Sam Sara Sofia "
    "Tariq Tom Uma Vera Yusuf Zoe"
).split()
# 25 x 10 = 250 surnames, each on ~0.4% of users: a realistic "common surname".
SURNAME_STEMS = (
    "Ander Bar Car Dal Eck Fair Gold Hart Ing Jor Kel Lind Mar Nor Ol Pem Quin "
    "Ros Sal Thorn Ul Van Wes Yar Zel"
).split()
SURNAME_ENDINGS = "son ley ford man ton wood well berg ridge field".split()
SURNAMES = [stem + ending for stem in SURNAME_STEMS for ending in SURNAME_ENDINGS]
# Sign-ups spread over the three years up to today, so that date filters
# ("last 7 days", "last month") find someone in a demo.
SPAN = timedelta(days=3 * 365)
# A quarter of the demo accounts never logged in; the others last did some
# time between signing up and today, most of them recently.
NEVER_LOGGED_IN_SHARE = 0.25


def demo_users(count: int, seed: int, until: datetime | None = None) -> Iterator[tuple]:
    """The same rows (imports.STAGED_COLUMNS) for the same count, seed and
    `until` (by default the start of today, UTC: the same rows all day)."""
    end = until or datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - SPAN
    rng = random.Random(seed)
    # Its own stream, so that adding last logins changed no other column.
    logins = random.Random(f"{seed}-logins")
    unusable_password = make_password(None)
    for number in range(1, count + 1):
        first, last = rng.choice(FIRST_NAMES), rng.choice(SURNAMES)
        handle = f"{first}.{last}{number}".lower()
        active, superuser = rng.random() < 0.9, rng.random() < 0.01
        # Sign-ups arrive in time order on a live site, so ids and
        # created_at rise together (the jitter keeps a few out of step).
        created = start + timedelta(
            seconds=SPAN.total_seconds() * number / max(count, 1) - rng.randrange(60)
        )
        yield (
            number,
            handle,
            f"{handle}@example.com",
            f"{first} {last}",
            active,
            superuser,
            False,
            created,
            unusable_password,
            _last_login(logins, created, end),
        )


def _last_login(rng: random.Random, created: datetime, end: datetime):
    if rng.random() < NEVER_LOGGED_IN_SHARE:
        return None
    # Cubed: three in four of those who log in did so in the last ~40% of
    # their time here, so "last 7 days" and "last month" find people.
    return end - (end - created) * rng.random() ** 3


class Command(BaseCommand):
    help = "Create N deterministic demo users; rerunning with the same seed adds none."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=200, help="users to create")
        parser.add_argument("--seed", type=int, default=1, help="random seed")
        parser.add_argument(
            "--demo-superuser",
            action="store_true",
            help="also create (or reset) the superuser 'admin' and print its login",
        )

    def handle(self, *args, count: int, seed: int, demo_superuser: bool, **options):
        if count < 0:
            raise CommandError("--count must be zero or more")
        started = time.monotonic()
        result = services.users_import(demo_users(count, seed), on_conflict="skip")
        seconds = time.monotonic() - started
        self.stdout.write(
            f"Seeded {result.inserted} new users ({count} requested, seed {seed}) "
            f"in {seconds:.1f} s."
        )
        if demo_superuser:
            self._demo_superuser()

    def _demo_superuser(self) -> None:
        password = secrets.token_urlsafe(12)
        admin = User.objects.get_by_username("admin")
        if admin is None:
            services.user_create(
                username="admin",
                email="admin@example.com",
                full_name="Demo Admin",
                password=password,
                is_staff=True,
                is_superuser=True,
            )
        else:
            services.user_set_password(user=admin, password=password)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo superuser: username admin, password {password}\n"
                "Log in at http://127.0.0.1:8000/admin/"
            )
        )
