"""Case-insensitive matching and uniqueness beyond ASCII, the same on SQLite as
on PostgreSQL: the embedded default behaves like production.

PostgreSQL (a libc locale) maps each letter on its own, one character to one:
"ß" has no one-letter capital, so STRASSE does not match straße; "İ" lowers to
"i"; the Greek final sigma uppers to capital sigma, which lowers to the
ordinary small sigma, not back to the final one. The SQLite backend's
UPPER and LOWER (noogh_site/sqlite/casing.py) do exactly the same."""

import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction

from noogh_site.sqlite import casing
from users import services
from users.models import User

from .factories import SuperuserFactory, UserFactory
from .markers import postgres_only

pytestmark = pytest.mark.django_db


def usernames(users) -> set[str]:
    return {user.username for user in users}


def test_lookups_fold_non_ascii_letters():
    zoe = UserFactory(username="Zoë", email="zoe@bücher.example")
    assert User.objects.get_by_email("ZOE@BÜCHER.EXAMPLE") == zoe
    assert User.objects.get_by_username("ZOË") == zoe
    assert User.objects.get_by_login("zoË") == zoe
    assert User.objects.get_by_login("Zoe@Bücher.Example") == zoe
    assert User.objects.filter(username__iexact="ZOË").get() == zoe


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("ÜMLAUTS", {"umlaut-fan"}),  # substring (trigram-sized)
        ("ümlauts", {"umlaut-fan"}),
        ("ÜM", {"umlaut-fan"}),  # 1-2 characters: start of a field
        ("ΟΔΌΣ", {"greek"}),  # both small sigmas upper to the capital
        ("STRAßE", {"lange"}),
        ("STRASSE", set()),  # ß has no one-letter capital: it uppers to itself
        ("STRAẞE", set()),  # ...and the capital ẞ stays ẞ
        ("ÇA", {"cafe"}),
    ],
)
def test_search_folds_non_ascii_letters(term, found):
    UserFactory(username="umlaut-fan", full_name="Ümlauts Überall")
    UserFactory(username="greek", full_name="Μια οδός")
    UserFactory(username="lange", full_name="Lange Straße")
    UserFactory(username="cafe", full_name="ça va")
    UserFactory(username="plain", full_name="Nothing Here")
    assert usernames(User.objects.search(term)) == found


@pytest.mark.parametrize(
    ("first", "second"),
    [("Zoë", "ZOË"), ("ÆSIR", "æsir"), ("İnci", "inci"), ("Ǆemal", "ǆemal")],
)
def test_names_differing_only_in_case_cannot_both_exist(first, second):
    root = SuperuserFactory()
    services.user_create(actor=root, username=first, email="one@example.com")
    with pytest.raises(ValidationError) as refused:
        services.user_create(actor=root, username=second, email="two@example.com")
    assert refused.value.message_dict["username"] == [
        "A user with that username already exists."
    ]
    # The database refuses too, not only the check before the write (stored
    # usernames are NFKC: "ǆ" is kept as "dž").
    stored = User.normalize_username(second)
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.bulk_create([User(username=stored, email="three@example.com")])


def test_emails_differing_only_in_case_cannot_both_exist():
    UserFactory(email="zoë@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        UserFactory(email="ZOË@example.com")


@pytest.mark.parametrize(
    ("first", "second"),
    [("straße", "STRASSE"), ("οδος", "ΟΔΟΣ")],
)
def test_names_postgresql_tells_apart_stay_apart(first, second):
    # LOWER("ΟΔΟΣ") is "οδοσ" (no final sigma by context), as in PostgreSQL.
    UserFactory(username=first)
    UserFactory(username=second)
    assert User.objects.get_by_username(second).username == second


CASES = ["ß", "ẞ", "İ", "ı", "Σ", "σ", "ς", "ΟΔΟΣ", "Zoë", "ÜMLAUTS", "ǅ", "ﬁ", "K"]
CASES += ["Große Straße", "ΟΔΟΣ ΟΔΟΙ", "İSTANBUL ıi", "ᾳ ﬁx ŉ", "plain ascii"]


@pytest.mark.parametrize("text", CASES)
def test_the_database_upper_and_lower_are_these(text):
    with connection.cursor() as cursor:
        cursor.execute("SELECT UPPER(%s), LOWER(%s)", [text, text])
        assert cursor.fetchone() == (casing.upper(text), casing.lower(text))


def test_casing_maps_one_character_to_one():
    assert casing.upper("straße") == "STRAßE"
    assert casing.lower("İSTANBUL") == "istanbul"
    assert casing.lower("ΟΔΟΣ") == "οδοσ"
    assert casing.upper("οδος") == "ΟΔΟΣ"
    assert casing.upper(None) is None
    assert casing.upper(12) == "12"


@postgres_only
def test_casing_matches_postgresql_for_every_assigned_character():
    characters = [
        chr(code)
        for code in range(0x80, 0x30000)
        if unicodedata.category(chr(code)) not in ("Cn", "Cs", "Co")
    ]
    differ = []
    with connection.cursor() as cursor:
        for start in range(0, len(characters), 10_000):
            cursor.execute(
                "SELECT c, UPPER(c), LOWER(c) FROM unnest(%s::text[]) AS c",
                [characters[start : start + 10_000]],
            )
            differ += [
                row
                for row in cursor.fetchall()
                if row[1:] != (casing.upper(row[0]), casing.lower(row[0]))
            ]
    assert differ == []


def test_the_case_insensitive_index_agrees_with_the_folding():
    UserFactory(username="Ÿvonne", email="ÿ@example.com")
    assert User.objects.get_by_username("ŸVONNE").email == "ÿ@example.com"
    if connection.vendor != "sqlite":
        return  # PostgreSQL's plans: test_query_plans.py
    # SQLite keys the index with our LOWER(): consistent, and used.
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA integrity_check")
        assert cursor.fetchall() == [("ok",)]
        cursor.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM users_user"
            " WHERE LOWER(username) = LOWER(%s)",
            ["ŸVONNE"],
        )
        plan = " ".join(str(row) for row in cursor.fetchall())
    assert "users_user_username_ci_unique" in plan
