"""UPPER and LOWER for SQLite as PostgreSQL computes them.

SQLite's own UPPER/LOWER (and its LIKE) fold ASCII only, so "ZOË" missed
"zoë", and the case-insensitive unique indexes on LOWER(...) let both in.
PostgreSQL (a libc locale such as C.UTF-8 or en_US.UTF-8) maps each character
on its own with Unicode's simple case mappings: one character in, one out.
Python's str.upper/lower use the full mappings ("ß".upper() == "SS") and fold
a final sigma by context, so they are applied one character at a time here,
keeping a character whose full mapping is longer than one (as libc does),
except where Unicode's simple mapping differs from that (U+0130 "İ" lowers to
"i"; Greek letters with a iota subscript upper to their title case form).
"""

from functools import partial

# The one character whose lower case is longer than one character.
_SIMPLE_LOWER = {"\u0130": "i"}


class _SimpleMapping(dict):
    """A str.translate table filled in as characters are first seen."""

    def __init__(self, full, fallback):
        super().__init__()
        self.full, self.fallback = full, fallback

    def __missing__(self, code: int) -> str:
        char = chr(code)
        mapped = self.full(char)
        if len(mapped) != 1:
            mapped = self.fallback(char)
        self[code] = mapped
        return mapped


def _title_if_single(char: str) -> str:
    title = char.title()
    return title if len(title) == 1 else char


_UPPER = _SimpleMapping(str.upper, _title_if_single)
_LOWER = _SimpleMapping(str.lower, lambda char: _SIMPLE_LOWER.get(char, char))


def _apply(table: _SimpleMapping, full_case, value):
    if isinstance(value, str):
        # Fast path: where no character's full mapping is longer than one,
        # the full and the simple mappings agree - but for the final sigma,
        # which the full lower case folds by context (same length).
        mapped = full_case(value)
        if len(mapped) == len(value) and (full_case is str.upper or SIGMA not in value):
            return mapped
        return value.translate(table)
    if value is None or isinstance(value, bytes):
        return value
    return full_case(str(value))  # numbers, as SQLite's own functions do


SIGMA = "\u03a3"
upper = partial(_apply, _UPPER, str.upper)
lower = partial(_apply, _LOWER, str.lower)


def register(connection) -> None:
    """Replace SQLite's UPPER and LOWER on a new connection. Deterministic, so
    that indexes on LOWER(...) (the case-insensitive unique constraints) may
    use them."""
    connection.create_function("UPPER", 1, upper, deterministic=True)
    connection.create_function("LOWER", 1, lower, deterministic=True)
