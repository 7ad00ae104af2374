"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from .content_type import guard_asgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "noogh_site.settings")

# A Content-Type Django cannot build a request from becomes a 400, not a 500.
application = guard_asgi(get_asgi_application())
