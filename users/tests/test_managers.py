from datetime import UTC, datetime, timedelta

import pytest

from users.models import User

from .factories import StaffFactory, SuperuserFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_get_by_email_ignores_case():
    user = UserFactory(email="A@x.com")
    assert User.objects.get_by_email("a@X.com") == user
    assert User.objects.get_by_email("  A@X.COM ") == user


def test_get_by_username_ignores_case():
    user = UserFactory(username="AdaL")
    assert User.objects.get_by_username("adal") == user


@pytest.mark.parametrize("method", ["get_by_email", "get_by_username", "get_by_login"])
def test_lookups_return_none_when_absent(method):
    UserFactory()
    assert getattr(User.objects, method)("nobody@example.com") is None


def test_a_login_with_an_at_sign_is_an_email_and_nothing_else():
    robert = UserFactory(username="robert", email="Bob@Example.com")
    assert User.objects.get_by_login("BOB@example.com") == robert
    assert User.objects.get_by_login("ROBERT") == robert
    assert User.objects.get_by_login("robert@") is None


def test_status_filters():
    active = UserFactory()
    inactive = UserFactory(is_active=False)
    staff = StaffFactory()
    root = SuperuserFactory()
    assert set(User.objects.active()) == {active, staff, root}
    assert list(User.objects.inactive()) == [inactive]
    assert set(User.objects.staff()) == {staff, root}
    assert list(User.objects.superusers()) == [root]
    assert list(User.objects.staff().active().superusers()) == [root]


@pytest.mark.parametrize(
    ("field", "stored", "term"),
    [
        ("full_name", "Ada Lovelace", "LOVEL"),
        ("email", "countess@Analytical.org", "analytical"),
        ("username", "Enchantress", "chant"),
    ],
)
def test_search_matches_each_field_ignoring_case(field, stored, term):
    match = UserFactory(**{field: stored})
    UserFactory(full_name="Someone Else")
    assert list(User.objects.search(term)) == [match]


def test_short_terms_match_as_prefix():
    alan = UserFactory(full_name="Alan Turing", username="aturing", email="a@t.org")
    UserFactory(full_name="Grace Hopper", username="ghal", email="grace@navy.mil")
    # "al" is inside "ghal" but only a prefix of "Alan": one- and two-character
    # terms match the start of a field so that an index can serve them.
    assert list(User.objects.search("al")) == [alan]
    assert list(User.objects.search("A")) == [alan]


def test_blank_search_returns_everyone():
    UserFactory.create_batch(3)
    assert User.objects.search("   ").count() == 3


def test_listing_skip_limit_and_filters():
    users = [UserFactory(username=f"u{n}") for n in range(5)]
    UserFactory(is_active=False)
    ordered = sorted(users, key=lambda u: (u.created_at, u.pk), reverse=True)
    assert User.objects.listing(skip=1, limit=2, is_active=True) == ordered[1:3]
    assert User.objects.listing(limit=0) == []
    with pytest.raises(ValueError):
        User.objects.listing(skip=-1)


def test_count_exists_and_get_or_none():
    user = UserFactory(is_active=False)
    assert User.objects.filter(is_active=False).count() == 1
    assert User.objects.filter(pk=user.pk).exists()
    assert User.objects.get_or_none(pk=user.pk) == user
    assert User.objects.get_or_none(pk=user.pk + 1000) is None


def test_a_complete_email_finds_exactly_that_account():
    ada = UserFactory(email="Ada@example.com")
    UserFactory(email="grand.ada@example.com")
    assert list(User.objects.search("ada@EXAMPLE.com")) == [ada]
    assert User.objects.search("ada@").count() == 2


@pytest.mark.parametrize(
    "ordering",
    [
        f"{sign}{field}"
        for field in ("created_at", "full_name", "email", "username", "last_login")
        for sign in ("", "-")
    ],
)
def test_first_counted_is_the_ordered_page_and_the_count(ordering):
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for number in range(12):
        UserFactory(
            full_name=f"Ana Smith {number % 3}",  # ties, broken by id
            username=f"smith{number}",
            created_at=start + timedelta(days=number % 4),
            last_login=None if number % 3 else start + timedelta(hours=number),
        )
    UserFactory(full_name="Someone Else")
    smiths = User.objects.search("smith")
    rows, total = smiths.first_counted(ordering, 5, cap=12)
    assert total == 12
    assert rows == list(smiths.sorted_by(ordering)[:5])
    # More than the cap: the caller pages and counts the usual way.
    assert smiths.first_counted(ordering, 5, cap=11) is None
    assert User.objects.search("nobody").first_counted(ordering, 5, cap=11) == ([], 0)
    # A term longer than any stored value: none(), which compiles to no SQL.
    assert User.objects.search("a" * 300).first_counted(ordering, 5, cap=11) == ([], 0)
