"""Time noogh's pages, its admin and a stock admin on one database; print JSON.

Run by bench/run.py with DJANGO_SETTINGS_MODULE=bench.settings and DATABASE_URL
pointing at a PostgreSQL database it may fill.
"""

import argparse
import datetime
import io
import json
import os
import re
import statistics
import time
from datetime import timedelta

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench import filters  # noqa: E402
from users import services  # noqa: E402
from users.models import ApiToken, AuditEvent, User  # noqa: E402
from users.pagination import MAX_ADMIN_PAGES, make_token  # noqa: E402

OURS, ADMIN, STOCK = "/users/", "/admin/users/user/", "/stock-admin/stock/stockuser/"
API = "/api/users"
COMMON_SURNAME = "anderson"  # one of 250 seeded surnames: ~0.4% of users


def load(users: int) -> None:
    if User.objects.exclude(username="bench-admin").count() != users:
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE users_user CASCADE")
        call_command(
            "seed_users", "--count", str(users), "--seed", "1", stdout=io.StringIO()
        )
    filters.prepare()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE users_user")
        cursor.execute("VACUUM ANALYZE users_usersearch")  # the search's indexes
        cursor.execute("DROP TABLE IF EXISTS bench_stock_user")
        cursor.execute(
            "CREATE TABLE bench_stock_user AS SELECT id, email, username, full_name,"
            " is_active, is_staff, is_superuser, created_at, updated_at FROM users_user"
        )
        cursor.execute("ALTER TABLE bench_stock_user ADD PRIMARY KEY (id)")
        cursor.execute("VACUUM ANALYZE bench_stock_user")


def bench_admin() -> User:
    admin = User.objects.get_by_username("bench-admin")
    return admin or services.user_create(
        username="bench-admin",
        email="bench-admin@example.org",
        is_staff=True,
        is_superuser=True,
    )


def api_client(admin: User) -> Client:
    """A client sending a fresh bearer token of admin's (no session)."""
    ApiToken.objects.filter(user=admin, name="bench").delete()
    _, plaintext = services.token_create(
        actor=admin,
        name="bench",
        lifetime=datetime.timedelta(days=1),
        enrolled=False,
        passed_second_factor=True,
    )
    return Client(headers={"Authorization": f"Bearer {plaintext}"})


def scenarios(users: int) -> dict[str, dict[str, str]]:
    """Scenario -> {target: url}; the same question asked of all three."""
    sample = User.objects.sorted_by("id")[users // 2]
    deep = User.objects.sorted_by("-created_at")[min(250_000, users - 1) - 1]
    deep_token = make_token("after", "-created_at", deep)
    deep_page = min(250_000, users) // 100  # admin pages hold 100 rows
    admin_page = min(deep_page, MAX_ADMIN_PAGES)  # our admin's deepest page
    rare = sample.username
    return {
        "list page 1": {"ours": OURS, "admin": ADMIN, "stock": STOCK},
        "page ~250,000 rows deep": {
            "ours": f"{OURS}?page={deep_token}",
            "admin": f"{ADMIN}?p={admin_page}",
            "stock": f"{STOCK}?p={deep_page}",
        },
        **admin_page_150(users),
        "search common surname": _search(COMMON_SURNAME),
        "search rare term": _search(rare),
        "search exact email": _search(sample.email),
        "search 2 characters": _search("zo"),
        "sort by created_at": {
            "ours": f"{OURS}?ordering=created_at",
            "admin": f"{ADMIN}?o=7",
            "stock": f"{STOCK}?o=7",
        },
        "sort by full_name": {
            "ours": f"{OURS}?ordering=full_name",
            "admin": f"{ADMIN}?o=3",
            "stock": f"{STOCK}?o=3",
        },
        **filters.scenarios(),
        "detail page": {
            "ours": f"{OURS}{sample.pk}/",
            "admin": f"{ADMIN}{sample.pk}/change/",
            "stock": f"{STOCK}{sample.pk}/change/",
        },
        "edit page": {"ours": f"{OURS}{sample.pk}/edit/"},
        # The JSON API, as a script calls it (a bearer token): issue 14's
        # targets are p50 <= 15 ms and <= 30 ms.
        "API list limit=100": {"api": f"{API}?limit=100"},
        "API search common surname": {"api": f"{API}/search?q={COMMON_SURNAME}"},
        "API search rare term": {"api": f"{API}/search?q={rare}"},
        "API user by email": {"api": f"{API}/email/{sample.email}"},
    }


def admin_page_150(users: int) -> dict[str, dict[str, str]]:
    """The same deep page of both admins (ours stops at MAX_ADMIN_PAGES, 200);
    a table too small to have it (the growth run's 10k users) leaves it out."""
    if users < 150 * 100:
        return {}
    return {"admin page 150": {"admin": f"{ADMIN}?p=150", "stock": f"{STOCK}?p=150"}}


def _search(term: str) -> dict[str, str]:
    return {
        "ours": f"{OURS}?q={term}",
        "admin": f"{ADMIN}?q={term}",
        "stock": f"{STOCK}?q={term}",
    }


def measure(client: Client, url: str, repeat: int) -> dict:
    client.get(url)  # warm-up (and at most once a minute, a session refresh)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    queries = len(captured)  # read now: the next request clears the log
    # What the database took of that request: the rest is Python.
    database = sum(float(query["time"]) for query in captured.captured_queries)
    assert response.status_code == 200, (url, response.status_code)
    timings, cpu = [], []
    for _ in range(repeat):
        started, used = time.perf_counter(), time.process_time()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        # This process's own CPU time: what the page costs in Python, which a
        # busy machine's waits for a core do not inflate as they do the wall
        # clock (the database server's work is not in it).
        cpu.append((time.process_time() - used) * 1000)
    timings.sort()
    return {
        "p50": statistics.median(timings),
        "max": timings[-1],
        "p95": timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))],
        "queries": queries,
        "db_ms": database * 1000,
        "cpu_ms": statistics.median(cpu),
    }


def bulk_query(target: int) -> str:
    """The list's query string for about `target` active accounts: "active,
    created from <date> to yesterday" (give or take a day's sign-ups). Not
    today: the benchmark's own account (created today) would refuse the lot,
    since nobody may deactivate themselves."""
    yesterday = timezone.localdate() - timedelta(days=1)
    before_today = User.objects.active().filter(created_at__date__lte=yesterday)
    boundary = before_today.sorted_by("-created_at")[target - 1].created_at
    return (
        f"is_active=true&created_after={boundary.date().isoformat()}"
        f"&created_before={yesterday.isoformat()}"
    )


def timed_post(client: Client, url: str, data: dict) -> tuple[float, int, object]:
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.post(url, data)
        seconds = time.perf_counter() - started
    return seconds, len(captured), response


def measure_bulk(client: Client, users: int) -> dict:
    """Deactivate ~10% of the users (100,000 at 1M) through the pages - the
    confirmation page, then its Confirm - and undo it from the result page.
    One run each (they write); the state is as before afterwards."""
    query = bulk_query(min(100_000, users // 10))
    form = {"action": "deactivate", "scope": "matching", "query": query}
    confirm_s, confirm_q, page = timed_post(client, reverse("users:bulk"), form)
    assert page.status_code == 200, page.status_code
    # The count the confirmation page states (and posts back as "expected").
    count = int(re.search(rb'name="expected" value="(\d+)"', page.content)[1])
    form |= {"confirm": "1", "expected": count}
    act_s, act_q, done = timed_post(client, reverse("users:bulk"), form)
    assert done.status_code == 302, (done.status_code, done.content[:300])
    event = AuditEvent.objects.bulk_action(done.url.rstrip("/").split("/")[-1]).get()
    recorded = AuditEvent.objects.of_batch(event.batch).count()
    undo_url = reverse("users:bulk_undo", args=[event.batch])
    undo_s, undo_q, undone = timed_post(client, undo_url, {})
    assert undone.status_code == 302, undone.status_code
    reactivated = User.objects.filter(
        pk__in=AuditEvent.objects.of_batch(event.batch).values("target_id"),
        is_active=True,
    ).count()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE users_user")
        cursor.execute("VACUUM ANALYZE users_usersearch")
        cursor.execute("VACUUM ANALYZE users_auditevent")
    return {
        "query": query,
        "accounts": count,
        "audit_rows": recorded + 1,
        "reactivated": reactivated,
        "confirm_page": {"seconds": confirm_s, "queries": confirm_q},
        "deactivate": {"seconds": act_s, "queries": act_q},
        "undo": {"seconds": undo_s, "queries": undo_q},
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument(
        "--only", nargs="*", help="scenario names to run (bulk: the bulk action)"
    )
    args = parser.parse_args()
    load(args.users)
    # The machine is shared: the figures mean little without its load.
    load_before = os.getloadavg()
    admin = bench_admin()
    client = Client()
    client.force_login(admin)
    clients = {"ours": client, "admin": client, "stock": client}
    clients["api"] = api_client(admin)
    results = {}
    for name, urls in scenarios(args.users).items():
        if args.only and name not in args.only:
            continue
        results[name] = {
            target: measure(clients[target], url, args.repeat)
            for target, url in urls.items()
        }
    # Last: it writes (and vacuums after itself).
    bulk = (
        None
        if args.only and "bulk" not in args.only
        else measure_bulk(client, args.users)
    )
    load_after = os.getloadavg()
    loads = " -> ".join(
        "/".join(f"{value:.1f}" for value in sample)
        for sample in (load_before, load_after)
    )
    print(
        json.dumps(
            {
                "users": User.objects.count(),
                "results": results,
                "bulk": bulk,
                "load": loads,
            }
        )
    )


if __name__ == "__main__":
    main()
