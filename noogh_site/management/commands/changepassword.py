"""`manage.py changepassword` is users' (through users.services, audited): a
command is found in the first listed app that has one, and users comes after
django.contrib.auth, whose own changepassword saves past the trail. This
project app is listed first only to put users' command in front."""

from users.management.commands.changepassword import Command  # noqa: F401
