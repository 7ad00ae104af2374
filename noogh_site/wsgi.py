"""WSGI entry point (gunicorn noogh_site.wsgi)."""

import os

from django.core.wsgi import get_wsgi_application

from .content_type import guard_wsgi

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "noogh_site.settings")

# A Content-Type Django cannot build a request from becomes a 400, not a 500.
application = guard_wsgi(get_wsgi_application())
