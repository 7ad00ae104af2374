"""Settings for noogh: every knob comes from the environment (or an optional .env)."""

import importlib.util
import secrets
import zoneinfo
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from . import dormancy, logs, replicas
from .environment import (
    boolean,
    database,
    env,
    mailer,
    running_a_keyless_command,
    stop,
)

BASE_DIR = Path(__file__).resolve().parent.parent

if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

try:
    DEBUG = boolean("DEBUG", default=False)
    SECRET_KEY = env.str("SECRET_KEY", default="")
    ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
    CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
    TIME_ZONE = env.str("TIME_ZONE", default="UTC")
    DATABASES = {
        "default": database(
            env.str("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
        )
    }
except (ImproperlyConfigured, ValueError) as error:
    stop(str(error))

if TIME_ZONE not in zoneinfo.available_timezones():
    stop(f"TIME_ZONE {TIME_ZONE!r} is not a known time zone (e.g. UTC, Europe/Paris)")
if not SECRET_KEY:
    if running_a_keyless_command():
        SECRET_KEY = secrets.token_urlsafe(50)
    elif not DEBUG:
        stop("SECRET_KEY must be set when DEBUG is off")
    else:
        # Only a developer's machine runs with DEBUG on; it never signs real data.
        SECRET_KEY = "insecure-development-key-do-not-use-in-production"

# An optional read replica and when it is read (noogh_site/replicas.py).
replicas.add_replica(DATABASES)
DATABASE_ROUTERS = ["noogh_site.routers.PrimaryReplicaRouter"]
(
    REPLICA_PIN_SECONDS,
    REPLICA_MAX_LAG_SECONDS,
    REPLICA_CHECK_SECONDS,
    REPLICA_CHECK_TIMEOUT,
) = replicas.timings()

# Reuse connections across requests, but check them first so a database restart
# does not break the next request. Behind PgBouncer in transaction mode, set
# CONN_MAX_AGE=0 (the pooler keeps the server connections) and
# DISABLE_SERVER_SIDE_CURSORS=true: Django's .iterator() outside a transaction
# declares a cursor WITH HOLD that the next transaction may not find on its
# server connection (a ModelChoiceField's choices broke the list page). The
# exports keep a bounded cursor of their own inside a transaction
# (users.managers.streaming). See docs/scaling.md.
for _database_settings in DATABASES.values():
    _database_settings["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    _database_settings["CONN_HEALTH_CHECKS"] = True
    _database_settings["DISABLE_SERVER_SIDE_CURSORS"] = boolean(
        "DISABLE_SERVER_SIDE_CURSORS", default=False
    )

INSTALLED_APPS = [
    # First: its only part, management/commands/changepassword.py, puts users'
    # audited command in front of django.contrib.auth's.
    "noogh_site",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # relative dates ("3 days ago"): templates/_time.html
    "django.contrib.postgres",
    # Django's form and widget templates, for FORM_RENDERER below.
    "django.forms",
    "django_filters",
    "axes",
    # Second factors for staff (users.signin.mfa): authenticator apps (TOTP)
    # and one-time recovery codes (static tokens).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    # The JSON API (users.api); listed for its Swagger UI's templates and
    # static files, served from here rather than a CDN.
    "ninja",
    # After django_otp's plugins: users.admin unregisters their device admins.
    "users",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "noogh_site.middleware.UnreadableContentTypeMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After whitenoise: static files keep their caching, nothing else is stored.
    "noogh_site.middleware.NoStoreMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "noogh_site.middleware.SlidingSessionMiddleware",
    "noogh_site.routers.ReplicaPinningMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): this session has passed a second factor.
    "django_otp.middleware.OTPMiddleware",
    "users.audit.context.RequestContextMiddleware",
    # Inside the request context: records sessions with the client address.
    "users.signin.sessions.SessionRecordMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Staff sessions reach no page but sign-in ones until verified (MFA_REQUIRED).
    "users.signin.gate.MFAGateMiddleware",
    # Last, as django-axes asks: it turns a lockout into the 429 page.
    "axes.middleware.AxesMiddleware",
]

# A development tool: `make migration-lint` (installed by requirements-dev.txt).
if importlib.util.find_spec("django_migration_linter"):
    INSTALLED_APPS.append("django_migration_linter")

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

# Forms draw through the project's templates (templates/forms/), found like
# every other template.
FORM_RENDERER = "noogh_site.forms.FormRenderer"

AUTH_USER_MODEL = "users.User"
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out client is refused before its password is checked.
    # django-axes' AxesStandaloneBackend with an async twin (aauthenticate).
    "users.signin.lockout.LockoutBackend",
    "users.backends.UsernameOrEmailBackend",
]
# users.User.username is unique ignoring case through a UniqueConstraint on
# Lower("username"), which the auth system check does not recognise; the
# last-login index's INCLUDE column is PostgreSQL's (SQLite builds it without).
SILENCED_SYSTEM_CHECKS = ["auth.W004", "models.W040"]

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
# Hashed, compressed files served by whitenoise once `collectstatic` has run
# (make serve does); development and tests use the plain finders.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if boolean("STATIC_MANIFEST", default=False)
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# `migrate` runs during deploys against a live table: a DDL statement waiting
# longer than this for a lock gives up (and can be retried) instead of queueing
# every request behind it (users.management.commands.migrate).
MIGRATE_LOCK_TIMEOUT = env.str("MIGRATE_LOCK_TIMEOUT", default="5s")
MIGRATE_STATEMENT_TIMEOUT = env.str("MIGRATE_STATEMENT_TIMEOUT", default="30min")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Sessions, cookies and HTTPS -------------------------------------------------
# HTTPS defaults to on in production (DEBUG off); `make run` and the tests turn
# it off because they serve plain http://127.0.0.1.
HTTPS = boolean("HTTPS", default=not DEBUG)
SESSION_COOKIE_AGE = env.int("SESSION_IDLE_TIMEOUT", default=30 * 60)
# The timeout counts from the last request (noogh_site.middleware).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
# Our 403 page, which cannot fail (Django's reads the request body again).
CSRF_FAILURE_VIEW = "noogh_site.errors.csrf_failure"
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    # __Host- cookies are only accepted over HTTPS, for this exact host, path /.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"
    SECURE_SSL_REDIRECT = boolean("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("HSTS_SECONDS", default=365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = boolean("HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = boolean("HSTS_PRELOAD", default=True)
if boolean("TRUST_X_FORWARDED_PROTO", default=False):
    # Behind a load balancer that terminates TLS: it says the original scheme.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "form-action": [CSP.SELF],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
}

# --- Login protection (django-axes) ----------------------------------------------
# An account (whatever spelling of its username or email was typed, or the
# normalised login when it names no account) is locked from one IP after
# AXES_FAILURE_LIMIT failures; an IP after LOGIN_IP_FAILURE_LIMIT failures
# whatever the accounts (users.signin.lockout).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_IP_FAILURE_LIMIT = env.int("LOGIN_IP_FAILURE_LIMIT", default=20)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"], "ip_address"]
AXES_HANDLER = "users.signin.lockout.TieredLockoutHandler"
AXES_USERNAME_CALLABLE = "users.signin.lockout.lockout_key"
AXES_LOCKOUT_CALLABLE = "users.signin.lockout.lockout_response"
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
# A login forgives that account's failures from that IP only; the IP's count
# stands (TieredLockoutHandler.reset_user_attempts).
AXES_RESET_ON_SUCCESS = True
AXES_HTTP_RESPONSE_CODE = 429
AXES_USERNAME_FORM_FIELD = "username"
# The client address: REMOTE_ADDR, or with TRUSTED_PROXY_COUNT proxies in front
# the address the outermost one appended to X-Forwarded-For (never what the
# client sent). One function for lockouts, the trail and the security log;
# lockouts count an IPv6 client by its /64 (users.signin.lockout).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    stop(f"TRUSTED_PROXY_COUNT must be 0 or more (got {TRUSTED_PROXY_COUNT})")
AXES_CLIENT_IP_CALLABLE = "users.signin.lockout.lockout_client_ip"

# --- The JSON API (users.api) ----------------------------------------------------
# Requests a minute per personal API token (a fixed window in Django's cache:
# the local-memory default counts per worker process). Invalid tokens count as
# failed logins of the client address (the lockout settings above).
API_TOKEN_RATE_LIMIT = env.int("API_TOKEN_RATE_LIMIT", default=600)

# --- Password hashing ------------------------------------------------------------
# Argon2id at OWASP's m=19 MiB, t=2, p=1, chosen by measurement (README,
# bench/argon2_params.py): ~30 ms and 19 MiB per hash on one core, where
# Django's default (100 MiB, t=2, p=8) took 140-360 ms. Each worker process hashes
# at most LOGIN_HASH_CONCURRENCY passwords at once; other logins wait their
# turn, so a burst cannot exhaust memory. Older hashes (PBKDF2, or Argon2 with
# other parameters) still verify and are rehashed at the user's next login.
# One per worker by default: gunicorn runs two workers per core, so one hash
# each already keeps every core busy; more at once only adds memory and wait.
LOGIN_HASH_CONCURRENCY = env.str("LOGIN_HASH_CONCURRENCY", default="1").strip()
if not (LOGIN_HASH_CONCURRENCY.isdigit() and int(LOGIN_HASH_CONCURRENCY) >= 1):
    stop(f"LOGIN_HASH_CONCURRENCY must be 1 or more (got {LOGIN_HASH_CONCURRENCY!r})")
LOGIN_HASH_CONCURRENCY = int(LOGIN_HASH_CONCURRENCY)
PASSWORD_HASHERS = [
    "users.signin.hashers.BoundedArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

# --- Bulk actions on the user list ------------------------------------------------
# How long the result page of a bulk (de)activation offers to undo it.
BULK_UNDO_SECONDS = env.int("BULK_UNDO_SECONDS", default=30 * 60)
# At most this many ticked rows in one request (a page shows at most 100).
BULK_MAX_SELECTED = 1000
# An action that can be undone, on at most this many accounts whose number the
# list showed exactly, happens at once (its result page offers Undo); larger
# selections, and actions that cannot be undone, ask first.
BULK_AT_ONCE_UP_TO = 100

# --- Second factors (django-otp) --------------------------------------------------
# Staff must set up an authenticator app and pass it at every login before any
# staff page or the admin (users.signin.gate). On by default in production; off
# by default with DEBUG, so `make run` works without a phone.
MFA_REQUIRED = boolean("MFA_REQUIRED", default=not DEBUG)
# The account's label in authenticator apps: "noogh: alice".
OTP_TOTP_ISSUER = env.str("MFA_ISSUER", default="noogh")
# Wrong codes slow the next try down exponentially (1, 2, 4, 8 ... seconds after
# 1, 2, 3, 4 ... failures in a row), per device. django-otp's default is the
# same; spelled out so that nobody turns it off by accident.
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# --- E-mail: invitations and password links (users.mail) -----------------------
# EMAIL_URL: smtp://user:password@host:25, smtp+tls://...:587 (STARTTLS) or
# smtp+ssl://...:465; the default prints messages on stdout (development).
try:
    MAILERS = {
        "default": mailer(
            env.str("EMAIL_URL", default="consolemail://"),
            timeout=env.int("EMAIL_TIMEOUT", default=10),
        )
    }
except (ImproperlyConfigured, ValueError, KeyError) as error:
    stop(f"EMAIL_URL: {error}")
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="noogh <noreply@localhost>")
# A link works once, for this long (Django's password-reset tokens).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_LINK_HOURS", default=72) * 3600
# Where links sent by `manage.py send_password_link` point (pages use the
# address the staff member is on).
SITE_URL = env.str("SITE_URL", default="")

# --- Erasure (users.pseudonyms) -------------------------------------------------
# The key of the pseudonyms erased accounts get, here and in the trail. Keep it
# secret and keep it: a new key gives the same person new pseudonyms. Without
# it, accounts cannot be erased (development has a fixed one).
ERASURE_KEY = env.str("ERASURE_KEY", default="") or (
    "insecure-development-erasure-key" if DEBUG else ""
)
# Audit events older than this many days go with `manage.py audit_purge` (and
# the lifecycle run); 0 keeps them all. The hash chain (users.audit.chain)
# needs ERASURE_KEY too.
AUDIT_RETENTION_DAYS = env.int("AUDIT_RETENTION_DAYS", default=0)

# --- Dormant accounts (manage.py lifecycle; noogh_site/dormancy.py) -------------
DORMANT_AFTER_DAYS, DORMANT_WARN_DAYS, DORMANT_EXEMPT_GROUPS = dormancy.settings()

# --- Logging ---------------------------------------------------------------------
# Security events and server errors as JSON lines on stderr (noogh_site.logs).
LOGGING = logs.CONFIG
