"""Reading the environment for the settings: one clear line, never a
traceback, when a value makes no sense."""

import sys
from pathlib import Path
from urllib.parse import urlsplit

import environ

env = environ.Env()

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


def stop(message: str) -> None:
    """Stop start-up with one clear line instead of a traceback."""
    sys.exit(f"noogh: configuration error: {message}")


def boolean(name: str, default: bool) -> bool:
    raw = env.str(name, default=str(default)).strip().lower()
    if raw not in BOOLEAN_WORDS:
        stop(f"{name} must be true or false (got {raw!r})")
    return BOOLEAN_WORDS[raw]


def database(url: str) -> dict:
    scheme = urlsplit(url).scheme
    if scheme not in DATABASE_SCHEMES:
        stop(
            "DATABASE_URL must start with postgres:// or sqlite:/// "
            f"(got {scheme + '://' if scheme else 'no scheme'})"
        )
    config = env.db_url_config(url)
    if scheme == "sqlite":
        config["ENGINE"] = "noogh_site.sqlite"  # skips PostgreSQL-only indexes
        # Tests in memory, as Django does for its own SQLite backend (test
        # runners key that default on the engine's name, which is ours here).
        config["TEST"] = {"NAME": ":memory:"}
    return config


# manage.py commands that sign nothing (no session, no token, no link): a
# fresh clone (or CI) runs `makemigrations --check`, an operator runs `migrate`
# or a data command as the README writes it, without a SECRET_KEY. They get a
# throwaway random key. A command that mails a link must never be listed here.
KEYLESS_COMMANDS = frozenset(
    {
        # the schema
        "makemigrations",
        "migrate",
        "showmigrations",
        "sqlmigrate",
        "lintmigrations",
        # the data commands (passwords are hashed with a per-password salt,
        # never with SECRET_KEY)
        "seed_users",
        "import_users",
        "reset_mfa",
        "changepassword",
        "createsuperuser",
        "export_personal_data",
        "erase_user",
    }
)


def running_a_keyless_command() -> bool:
    argv = sys.argv
    return (
        len(argv) > 1
        and Path(argv[0]).name == "manage.py"
        and argv[1] in KEYLESS_COMMANDS
    )


def mailer(url: str, timeout: int) -> dict:
    """EMAIL_URL (django-environ's syntax) as Django 6.1's MAILERS["default"]."""
    config = env.email_url_config(url)
    backend = config["EMAIL_BACKEND"]
    if backend.endswith(".smtp.EmailBackend"):
        if config.get("EMAIL_USE_TLS") and config.get("EMAIL_USE_SSL"):
            raise ValueError("use smtp+tls:// or smtp+ssl://, not both")
        options = {
            "host": config["EMAIL_HOST"],
            "port": config["EMAIL_PORT"],
            "username": config["EMAIL_HOST_USER"],
            "password": config["EMAIL_HOST_PASSWORD"],
            "use_tls": bool(config.get("EMAIL_USE_TLS")),
            "use_ssl": bool(config.get("EMAIL_USE_SSL")),
            "timeout": timeout,
        }
    elif backend.endswith(".filebased.EmailBackend"):
        options = {"file_path": config["EMAIL_FILE_PATH"]}
    else:
        options = {}
    return {"BACKEND": backend, "OPTIONS": options}
