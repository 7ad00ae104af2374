"""On PostgreSQL with 10k users (~10% of them dormant), the dormant-account
policy's preview and its run's batches read through users_user_dormancy_idx,
not a scan of the users table."""

import pytest
from django.db import connection, transaction
from django.utils import timezone

from users import services
from users.management.commands.seed_users import demo_users
from users.managers.dormancy import DormancyPolicy, idle_since
from users.models import User

from .markers import postgres_only
from .tampering import clear_trail
from .test_query_plans import assert_indexed

pytestmark = [pytest.mark.django_db, postgres_only]
INDEX = "users_user_dormancy_idx"


@pytest.fixture(scope="module")
def policy(django_db_setup, django_db_blocker):
    """10k users, and a policy whose cutoff leaves a tenth of them dormant."""
    with django_db_blocker.unblock():
        services.users_import(demo_users(10_000, seed=12))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE users_user")
        idle = User.objects.active().annotate(idle=idle_since()).order_by("idle")
        tenth = idle.values_list("idle", flat=True)[1_000]
        yield DormancyPolicy(
            after_days=(timezone.now() - tenth).days, exempt_groups=("Service",)
        )
        User.objects.all().delete()
        clear_trail()  # events are deleted only by the purge; TRUNCATE
        with connection.cursor() as cursor:
            # Leave the table as a later module's fixture expects it: the dead
            # rows gone (their pages truncated away) and fresh statistics, not
            # whatever autovacuum has got to by then.
            cursor.execute("VACUUM ANALYZE users_user")


def dormant(policy):
    return User.objects.dormant(policy, timezone.now())


def test_there_is_about_a_tenth_dormant(policy):
    assert 800 <= dormant(policy).count() <= 1_200


def test_the_preview_count_reads_the_index(policy):
    sql, params = dormant(policy).order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN SELECT count(*) FROM ({sql}) AS rows", params)
        text = "\n".join(row[0] for row in cursor.fetchall())
    assert_indexed(text)
    assert INDEX in text, text


def test_the_sample_reads_the_index(policy):
    text = dormant(policy).order_by("idle_since", "pk")[:20].explain()
    assert_indexed(text)
    assert INDEX in text, text


def test_a_runs_batch_reads_the_index(policy):
    batch = (
        dormant(policy)
        .filter(is_superuser=False)
        .order_by("idle_since", "pk")
        .select_for_update(skip_locked=True, of=("self",))
        .values_list("pk", flat=True)[:5000]
    )
    with transaction.atomic():
        text = batch.explain()
    assert_indexed(text)
    assert INDEX in text, text
