"""`migrate` with lock and statement timeouts on PostgreSQL.

A migration that waits for a lock on the busy users table would queue every
request behind it; with lock_timeout it fails fast and can simply be rerun.
"""

from django.conf import settings
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connections


class Command(MigrateCommand):
    help = MigrateCommand.help + (
        " On PostgreSQL, DDL gives up after MIGRATE_LOCK_TIMEOUT waiting for a "
        "lock and MIGRATE_STATEMENT_TIMEOUT running."
    )

    def handle(self, *args, **options):
        connection = connections[options["database"]]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('lock_timeout', %s, false),"
                    " set_config('statement_timeout', %s, false)",
                    [settings.MIGRATE_LOCK_TIMEOUT, settings.MIGRATE_STATEMENT_TIMEOUT],
                )
        return super().handle(*args, **options)
