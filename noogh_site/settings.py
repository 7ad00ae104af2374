"""Settings for noogh: every knob comes from the environment (or an optional .env)."""

import sys
import zoneinfo
from pathlib import Path
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

# Schemes django-environ maps onto the two databases noogh supports.
DATABASE_SCHEMES = {"postgres", "postgresql", "pgsql", "sqlite"}
BOOLEAN_WORDS = {
    "true": True,
    "1": True,
    "yes": True,
    "on": True,
    "false": False,
    "0": False,
    "no": False,
    "off": False,
}


def _stop(message: str) -> None:
    """Stop start-up with one clear line instead of a traceback."""
    sys.exit(f"noogh: configuration error: {message}")


def _boolean(name: str, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw not in BOOLEAN_WORDS:
        _stop(f"{name} must be true or false (got {raw!r})")
    return BOOLEAN_WORDS[raw]


def _database(url: str) -> dict:
    scheme = urlsplit(url).scheme
    if scheme not in DATABASE_SCHEMES:
        _stop(
            "DATABASE_URL must start with postgres:// or sqlite:/// "
            f"(got {scheme + '://' if scheme else 'no scheme'})"
        )
    return env.db_url_config(url)


env = environ.Env()
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

try:
    DEBUG = _boolean("DEBUG", default=False)
    SECRET_KEY = env.str("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
    TIME_ZONE = env.str("TIME_ZONE", default="UTC")
    DATABASES = {
        "default": _database(
            env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
        )
    }
except (ImproperlyConfigured, ValueError) as error:
    _stop(str(error))

if TIME_ZONE not in zoneinfo.available_timezones():
    _stop(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone (e.g. UTC, Europe/Paris)")
if not SECRET_KEY:
    if not DEBUG:
        _stop("SECRET_KEY must be set when DEBUG is off")
    # Only a developer's machine runs with DEBUG on; the key never signs real data.
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"

# Reuse connections across requests, but check them first so a database restart
# does not break the next request.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "django_filters",
    "users",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "noogh_site.urls"
WSGI_APPLICATION = "noogh_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = ["users.backends.UsernameOrEmailBackend"]
# users.User.username is unique ignoring case through a UniqueConstraint on
# Lower("username"), which the auth system check does not recognise.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/users/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
