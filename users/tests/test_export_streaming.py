"""The export streams through a transaction-mode pooler: its server-side
cursor lives inside one transaction (never WITH HOLD across several, which
PgBouncer would spread over server connections), a chunk at a time."""

import csv
import io

import pytest
from django.db import connection
from django.urls import reverse

from users.managers import streaming
from users.models import User

from .factories import UserFactory
from .markers import postgres_only

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_export_reads_its_rows_inside_one_transaction(
    superuser_client, monkeypatch
):
    UserFactory.create_batch(7)
    seen = []

    def spy(rows, alias, chunk_size):
        for row in original(rows, alias, 3):
            seen.append(connection.in_atomic_block)
            yield row

    original = streaming._stream
    monkeypatch.setattr(streaming, "_stream", spy)
    response = superuser_client.get(reverse("users:export"))
    assert response.status_code == 200
    assert seen == []  # nothing read before the body is asked for
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == User.objects.count() == len(seen)
    assert all(seen)
    assert not connection.in_atomic_block  # and it ended with the download


@postgres_only
def test_the_cursor_is_a_plain_one_that_ends_with_its_transaction():
    UserFactory.create_batch(5)
    rows = streaming.streamed(User.objects.order_by("pk").values_list("pk"), 2)
    next(rows)
    with connection.cursor() as cursor:
        cursor.execute("SELECT is_holdable FROM pg_cursors WHERE name LIKE '_django%'")
        assert cursor.fetchall() == [(False,)]
    assert len(list(rows)) == 4
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone() == (0,)


@postgres_only
def test_with_server_side_cursors_disabled_the_export_still_streams(
    superuser_client,
):
    """A pooler in transaction mode needs DISABLE_SERVER_SIDE_CURSORS (Django's
    own .iterator() calls hold cursors across transactions); the export keeps
    a cursor of its own inside its transaction, so memory stays bounded."""
    UserFactory.create_batch(5)
    connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = True
    try:
        rows = streaming.streamed(User.objects.order_by("pk").values_list("pk"), 2)
        first = next(rows)
        with connection.cursor() as cursor:
            cursor.execute("SELECT is_holdable FROM pg_cursors")
            assert cursor.fetchall() == [(False,)]
        assert [first, *rows] == list(User.objects.order_by("pk").values_list("pk"))
        response = superuser_client.get(reverse("users:export"))
        text = b"".join(response.streaming_content).decode("utf-8-sig")
    finally:
        connection.settings_dict["DISABLE_SERVER_SIDE_CURSORS"] = False
    assert len(list(csv.DictReader(io.StringIO(text)))) == User.objects.count()
