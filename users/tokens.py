"""Personal API tokens, read side: their format, their digest, and finding the
live token a request presents (users.api.auth). Made and revoked in
users.services.tokens.

A token reads "noogh_<prefix>_<secret>": the prefix (8 random characters) is
stored as it is, to find the row; the secret (32 random bytes) only as part of
the SHA-256 digest of the whole token. 256 random bits need no slow hash nor
a key: nothing can be guessed from the digest, and rotating SECRET_KEY does not
revoke every token.
"""

import hashlib
import hmac
import re

from django.utils import timezone

from .models import ApiToken

SCHEME = "noogh_"
PREFIX_LENGTH = 8
PREFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
SECRET_BYTES = 32
# token_urlsafe(32) is 43 characters; anything far longer is not ours.
MAX_TOKEN_LENGTH = 100
_SHAPE = re.compile(
    rf"\A{SCHEME}(?P<prefix>[{PREFIX_ALPHABET}]{{{PREFIX_LENGTH}}})_[\w-]{{20,80}}\Z",
    re.ASCII,
)
# Compared against when no row has the presented prefix, so that an unknown
# prefix costs the same work as a wrong secret.
_NO_DIGEST = "0" * 64


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def prefix_of(token: str) -> str | None:
    """The lookup prefix of a well-formed token, else None."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    match = _SHAPE.match(token)
    return match["prefix"] if match else None


def find_live_token(presented: str) -> ApiToken | None:
    """The live token (with its owner) that `presented` is, or None.

    The digest comparison takes the same time whether it fails at the first
    character or the last (hmac.compare_digest), and an unknown prefix is
    compared too.
    """
    prefix = prefix_of(presented)
    token = (
        ApiToken.objects.select_related("user").filter(prefix=prefix).first()
        if prefix
        else None
    )
    digest = digest_of(presented)
    matches = hmac.compare_digest(digest, token.digest if token else _NO_DIGEST)
    if token is None or not matches or not token.is_live(timezone.now()):
        return None
    return token


def tokens_of(user) -> list[ApiToken]:
    """user's tokens, newest first (revoked and expired ones too, for the record)."""
    return list(ApiToken.objects.filter(user=user).select_related("user"))
