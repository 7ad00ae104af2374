"""Probes for the load balancer and the orchestrator."""

from functools import cache

from django.db import DatabaseError, connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.http import HttpResponse, JsonResponse


@cache
def _migrations_on_disk() -> frozenset[tuple[str, str]]:
    # Reading the migration files is slow and they cannot change under a
    # running process, so it is done once.
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def healthz(request) -> HttpResponse:
    """The process is up and serving."""
    return JsonResponse({"status": "ok"})


def readyz(request) -> HttpResponse:
    """The database answers and every migration is applied."""
    try:
        applied = set(MigrationRecorder(connection).applied_migrations())
    except DatabaseError:
        return JsonResponse({"status": "database unreachable"}, status=503)
    pending = _migrations_on_disk() - applied
    if pending:
        return JsonResponse(
            {"status": "migrations pending", "pending": len(pending)}, status=503
        )
    return JsonResponse({"status": "ok"})
