"""The search's own table (users_usersearch, models.UserSearch), empty.

Its own migration so that the foreign key (ON DELETE CASCADE) is added while
the table is still empty; 0021 fills it and builds its indexes, 0022 drops
users_user's trigram indexes.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("users", "0019_lifecycle")]

    operations = [
        migrations.CreateModel(
            name="UserSearch",
            fields=[
                (
                    "user",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.DB_CASCADE,
                        primary_key=True,
                        related_name="search_entry",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("email", models.TextField()),
                ("username", models.TextField()),
                ("full_name", models.TextField()),
            ],
            # Kept by triggers, never by people: no permissions to grant.
            options={"default_permissions": ()},
        ),
    ]
