"""Benchmark settings: the project, plus a stock ModelAdmin over a plain copy."""

from noogh_site.settings import *  # noqa: F403
from noogh_site.settings import ALLOWED_HOSTS, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench.stock"]
ROOT_URLCONF = "bench.urls"
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
# The benchmark logs in with force_login; no password is ever hashed.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
