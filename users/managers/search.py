"""What the user search looks in, the help shown under its box, and what it
takes for a complete email address."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

# Trigrams need three characters; shorter terms match as a prefix instead,
# which the same indexes still serve.
MIN_SUBSTRING_TERM = 3
SEARCH_FIELDS = ("email", "username", "full_name")
# Shown under the search box of the staff list and of the admin.
SEARCH_HELP = (
    f"Name, email or username, ignoring case. {MIN_SUBSTRING_TERM} or more "
    "characters match anywhere; 1–2 characters match the start of a field; "
    "a complete email address finds exactly that account."
)


def is_email(term: str) -> bool:
    try:
        validate_email(term)
    except ValidationError:
        return False
    return True
