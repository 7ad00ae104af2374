"""Requests whose Content-Type Django cannot even build a request from.

Django builds its request object before any middleware or error handler runs,
and two kinds of Content-Type make that raise, so that only the web server
answers (a bare 500 and a traceback): a header it cannot parse (too long, an
RFC 2231 parameter in an unknown charset), and a charset that Python knows but
cannot read form data with - rot13, base64, UTF-16, EBCDIC - where Django
ignores only the names Python does not know. The entry points (wsgi.py,
asgi.py) put UNREADABLE in such a header's place, and
noogh_site.middleware.UnreadableContentTypeMiddleware answers it with the 400
page, through every middleware that adds the security headers.
"""

import codecs
from functools import lru_cache

from django.utils.http import parse_header_parameters

UNREADABLE = "application/x-unreadable-content-type"
# Form data and query strings are ASCII; a charset must read ASCII as ASCII
# (UTF-8, Latin-1, Shift JIS do; UTF-16, EBCDIC, unicode_escape do not).
# No other backslash: unicode_escape warns about invalid escapes.
_ASCII_PROBE = bytes(b for b in range(128) if b != ord("\\")) + rb"\x41\u0041"
_LONGEST_CHARSET_NAME = 64


def readable_content_type(value: str) -> str:
    """value, or UNREADABLE when Django would fail building a request from it."""
    try:
        _, params = parse_header_parameters(value)
    except ValueError:
        return UNREADABLE
    charset = params.get("charset")
    if charset is not None and not _usable_charset(charset):
        return UNREADABLE
    return value


@lru_cache(maxsize=128)
def _usable_charset(name: str) -> bool:
    if len(name) > _LONGEST_CHARSET_NAME:
        return False
    try:
        codecs.lookup(name)
    except LookupError:
        return True  # unknown: Django ignores it and reads UTF-8
    except ValueError:  # a NUL or a lone surrogate in the name
        return False
    try:
        text = _ASCII_PROBE.decode(name, "replace")
    except Exception:  # not a text codec, or no "replace" error handling
        return False
    return text == _ASCII_PROBE.decode("ascii")


def guard_wsgi(application):
    """The WSGI application, with unreadable Content-Types replaced."""

    def guarded(environ, start_response):
        if "CONTENT_TYPE" in environ:
            environ["CONTENT_TYPE"] = readable_content_type(environ["CONTENT_TYPE"])
        return application(environ, start_response)

    return guarded


def guard_asgi(application):
    """The ASGI application, with unreadable Content-Types replaced."""

    async def guarded(scope, receive, send):
        if scope["type"] == "http":
            headers = [
                (name, _readable_header(value) if name == b"content-type" else value)
                for name, value in scope.get("headers", [])
            ]
            scope = scope | {"headers": headers}
        return await application(scope, receive, send)

    return guarded


def _readable_header(value: bytes) -> bytes:
    # ASGI header values are bytes; Django reads them as Latin-1.
    return readable_content_type(value.decode("latin-1")).encode("latin-1")
