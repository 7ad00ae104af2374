"""Usernames of at most 100 characters (the seed's schema), safe on a live table.

The model says max_length=100 (state only: shrinking the varchar would rewrite
a million-row table under an exclusive lock). The database gets a CHECK
constraint added NOT VALID (PostgreSQL: a brief lock, old rows not read) or
triggers (SQLite); 0014 validates it without blocking reads or writes.

Usernames already longer than 100 characters stop this migration with a list
of them before anything changes (users.migration_operations).
"""

import django.core.validators
from django.db import migrations, models

import users.models
from users.migration_operations import LimitLength, refuse_overlong_usernames


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0015_api_tokens"),
    ]

    operations = [
        migrations.RunPython(refuse_overlong_usernames, migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="user",
                    name="username",
                    field=models.CharField(
                        help_text=(
                            "100 characters or fewer. Letters, digits and ./+/-/_ only."
                        ),
                        max_length=100,
                        validators=[
                            users.models.LoginNameValidator(),
                            django.core.validators.ProhibitNullCharactersValidator(),
                        ],
                        verbose_name="username",
                    ),
                ),
            ],
            database_operations=[
                LimitLength(
                    model_name="user",
                    field="username",
                    max_length=100,
                    name="users_user_username_max_length",
                ),
            ],
        ),
    ]
