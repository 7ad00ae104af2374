"""The trail by actor: what one account did (its subject-access export, its
erasure), without reading the whole trail. Built CONCURRENTLY on PostgreSQL,
so writes to a live trail go on meanwhile."""

from django.db import migrations, models

from users.migration_operations import AddIndexWithoutLocking


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("users", "0010_audit_action_password_link"),
    ]

    operations = [
        AddIndexWithoutLocking(
            model_name="auditevent",
            index=models.Index(
                fields=["actor_id", "at"], name="users_audit_actor_at_idx"
            ),
        ),
    ]
