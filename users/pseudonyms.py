"""Keyed pseudonyms for erased accounts: the same value always becomes the
same pseudonym (HMAC-SHA256 with ERASURE_KEY), so the trail stays linkable -
"e-3f2a... changed its email to e-9c41..." - without holding the value. Without
the key nobody can test a guess against a pseudonym; keep it secret, and keep
it: a new key gives the same person new pseudonyms."""

import hashlib
import hmac

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# What an erased account's fields become; usernames may not contain "@".
PREFIXES = {"username": "u-", "email": "e-", "full_name": "n-"}
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never a real mailbox
DIGEST_CHARACTERS = 24


def _key() -> bytes:
    if not settings.ERASURE_KEY:
        raise ImproperlyConfigured("ERASURE_KEY must be set to erase accounts.")
    return settings.ERASURE_KEY.encode()


def pseudonym(field: str, value: str) -> str:
    """value of field (username, email or full_name), pseudonymised. Case does
    not matter for logins, so "Zoe" and "zoe" become the same pseudonym."""
    message = f"{field}:{value.casefold()}".encode()
    digest = hmac.new(_key(), message, hashlib.sha256).hexdigest()
    name = PREFIXES[field] + digest[:DIGEST_CHARACTERS]
    return f"{name}@{ERASED_DOMAIN}" if field == "email" else name


def keyed_digest(purpose: str, message: str) -> str:
    """HMAC-SHA256 of message under ERASURE_KEY, for purpose (hex): what the
    trail's hash chain holds of a value that may be personal (audit.chain)."""
    payload = f"{purpose}\0{message}".encode()
    return hmac.new(_key(), payload, hashlib.sha256).hexdigest()


def is_pseudonymous(email: str) -> bool:
    return email.endswith("@" + ERASED_DOMAIN)
