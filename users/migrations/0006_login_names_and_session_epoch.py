"""One login string names at most one account; sessions that can be ended.

Usernames may no longer contain "@" (a login with "@" is an email), so no
username can shadow another account's email. Existing usernames with "@" are
reported, not renamed: the database refuses only new or changed usernames with
"@", so those accounts keep working for everything but signing in by username
(their owners sign in with their email), and staff rename them.
"""

import sys

import django.core.validators
from django.db import migrations, models

import users.models
from users.migration_operations import ForbidInNewUsernames

SHOWN = 20


def report_usernames_with_at(apps, schema_editor):
    User = apps.get_model("users", "User")
    clashing = User.objects.filter(username__contains="@").order_by("pk")
    count = clashing.count()
    if not count:
        return
    sys.stdout.write(
        f"\n  users: {count} username(s) contain '@' and can no longer be used to "
        "sign in (their owners sign in with their email address). Rename them on "
        "the staff pages or in the admin; the database refuses new ones:\n"
    )
    for pk, username in clashing.values_list("pk", "username")[:SHOWN]:
        shadowed = User.objects.filter(email__iexact=username).exclude(pk=pk).exists()
        note = "  <- another account's email" if shadowed else ""
        sys.stdout.write(f"    id {pk}: {username}{note}\n")
    if count > SHOWN:
        sys.stdout.write(f"    ... and {count - SHOWN} more\n")


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("users", "0005_trigram_indexes_without_pending_list"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="session_epoch",
            field=models.IntegerField(
                db_default=0, default=0, editable=False, verbose_name="session epoch"
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="username",
            field=models.CharField(
                help_text="150 characters or fewer. Letters, digits and ./+/-/_ only.",
                max_length=150,
                validators=[
                    users.models.LoginNameValidator(),
                    django.core.validators.ProhibitNullCharactersValidator(),
                ],
                verbose_name="username",
            ),
        ),
        migrations.RunPython(report_usernames_with_at, migrations.RunPython.noop),
        ForbidInNewUsernames(
            character="@",
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(("username__contains", "@"), _negated=True),
                name="users_user_username_no_at",
                violation_error_code="invalid",
                violation_error_message=users.models.LoginNameValidator.message,
            ),
        ),
    ]
