"""Validate 0013's CHECK on PostgreSQL: one scan of the table under SHARE
UPDATE EXCLUSIVE (reads and writes go on), in its own migration so that the
brief exclusive lock of ADD CONSTRAINT is over before the scan starts. A
username that slipped in meanwhile stops it with the same list as 0013."""

from django.db import migrations

from users.migration_operations import ValidateConstraint, refuse_overlong_usernames


class Migration(migrations.Migration):
    dependencies = [
        ("users", "0016_username_at_most_100"),
    ]

    operations = [
        migrations.RunPython(refuse_overlong_usernames, migrations.RunPython.noop),
        ValidateConstraint(model_name="user", name="users_user_username_max_length"),
    ]
