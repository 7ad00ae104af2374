"""The search table (models.UserSearch): on PostgreSQL a copy of each account's
searched columns kept by triggers, whatever writes (ORM, services, raw SQL,
COPY imports, erasure); bulk (de)activation leaves it alone. On SQLite it stays
empty and the search reads users_user. Each write path is checked by what the
search finds (both databases) and, on PostgreSQL, by the copy itself."""

import pytest
from django.core.management import call_command
from django.db import connection

from users import services
from users.models import User, UserSearch

from .factories import SuperuserFactory, UserFactory
from .markers import postgres_only

pytestmark = pytest.mark.django_db
HEADER = "username,email,full_name\n"


def assert_in_step() -> None:
    """PostgreSQL: the copy is exactly the accounts' searched columns.
    SQLite: nothing is copied."""
    copies = set(UserSearch.objects.values_list("user", *FIELDS))
    if connection.vendor != "postgresql":
        assert not copies
        return
    assert copies == set(User.objects.values_list("pk", *FIELDS))


FIELDS = ("email", "username", "full_name")


def found(term: str) -> set[str]:
    return set(User.objects.search(term).values_list("username", flat=True))


def test_created_accounts_are_found():
    UserFactory(username="ada", email="ada@example.com", full_name="Ada Lovelace")
    services.user_create(
        actor=None, username="grace", email="grace@example.com", full_name="G Hopper"
    )
    assert_in_step()
    assert found("lovel") == {"ada"}
    assert found("hopp") == {"grace"}
    assert found("gr") == {"grace"}


@pytest.mark.parametrize(
    ("field", "value", "term", "old"),
    [
        ("email", "c@analytical.org", "analytical", "byron"),
        ("username", "babbagefan", "babbage", "countess"),
        ("full_name", "Lady King", "lady", "augusta"),
    ],
)
def test_each_changed_field_is_found_and_its_old_value_is_not(field, value, term, old):
    ada = UserFactory(username="countess", email="c@byron.org", full_name="Augusta")
    services.user_update(actor=None, user=ada, **{field: value})
    assert_in_step()
    assert found(term) == {User.objects.get(pk=ada.pk).username}
    assert found(old) == set()


def test_updates_in_sql_and_through_the_orm_are_followed():
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    User.objects.filter(pk=ada.pk).update(full_name="Ada Zelridge")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE users_user SET email = 'bob@quintessence.org' WHERE id = %s",
            [bob.pk],
        )
    assert_in_step()
    assert found("zelridge") == {"ada"}
    assert found("quintessence") == {"bob"}


def test_deleted_accounts_leave_the_table():
    ada, bob = UserFactory(username="ada"), UserFactory(username="bob")
    services.user_delete(actor=None, user=ada)
    User.objects.filter(pk=bob.pk).delete()
    assert_in_step()
    assert not UserSearch.objects.exists()
    assert found("ada") == found("bob") == set()


@pytest.mark.parametrize("populated", [False, True], ids=["first load", "merge"])
def test_an_import_is_copied(tmp_path, populated):
    """A first load (indexes dropped and rebuilt) and a merge into a larger
    table (trigram entries through GIN's pending lists), updates included."""
    if populated:
        UserFactory.create_batch(5)
    ada = UserFactory(username="ada", full_name="Ada Byron")
    path = tmp_path / "users.csv"
    path.write_text(
        HEADER + "ada,ada@example.com,Ada Lovelace\n"
        "grace,grace@example.com,Grace Hopper\n"
        "kay,kay@quintessence.org,\n"
    )
    call_command("import_users", str(path), "--on-conflict", "update")
    assert_in_step()
    assert found("lovelace") == {"ada"} and found("byron") == set()
    assert found("hopper") == {"grace"}
    assert found("quintessence") == {"kay"}
    assert User.objects.get(pk=ada.pk).full_name == "Ada Lovelace"
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, reloptions FROM pg_class"
                " WHERE relname LIKE 'users_search_%%_trgm'"
            )
            options = dict(cursor.fetchall())
        assert options == {
            f"users_search_{field}_trgm": ["fastupdate=off"] for field in FIELDS
        }


def test_an_erased_account_is_found_only_by_its_pseudonyms():
    zoe = UserFactory(username="zoe", email="zoe.quinn@example.com", full_name="Zoë")
    erased = services.user_erase(actor=None, user=zoe, basis="test")
    assert_in_step()
    assert found("quinn") == found("zoe") == set()
    assert found(erased.username) == {erased.username}


def test_a_bulk_deactivation_and_its_undo_leave_the_table_untouched():
    SuperuserFactory()
    UserFactory.create_batch(20, full_name="Ada Anderson")
    before = copy_versions()
    event = services.users_bulk(
        actor=None,
        action="deactivate",
        users=User.objects.search("anderson"),
        scope="matching",
        filters="q=anderson",
    )
    services.bulk_undo(actor=None, batch=event.batch)
    assert User.objects.active().search("anderson").count() == 20
    assert copy_versions() == before
    assert_in_step()


def copy_versions() -> dict:
    """Each copy's row version (PostgreSQL: xmin changes when it is rewritten)."""
    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute("SELECT user_id, xmin::text FROM users_usersearch")
        return dict(cursor.fetchall())


@postgres_only
def test_an_update_that_changes_no_searched_value_does_not_touch_the_copy():
    ada = UserFactory(username="ada")
    before = copy_versions()
    ada.refresh_from_db()
    ada.save()  # writes every column, the searched ones unchanged
    User.objects.filter(pk=ada.pk).update(last_login="2024-01-01T00:00:00Z")
    assert copy_versions() == before


@postgres_only
def test_the_search_reads_the_search_table():
    UserFactory(username="ada")
    sql = str(User.objects.search("ada").query)
    assert "users_usersearch" in sql
    with connection.cursor() as cursor:
        cursor.execute("UPDATE users_usersearch SET username = 'someone'")
    assert found("ada") == set()  # the copy is what the search reads


@pytest.mark.parametrize("ordering", ["-created_at", "full_name", "-last_login"])
def test_a_search_alone_or_with_filters_pages_and_counts_alike(ordering):
    """A search alone takes its ids from the search table (PostgreSQL); with
    another filter, from users_user. Both answer as the plain queries do."""
    for number in range(9):
        UserFactory(
            full_name=f"Ana Quinn {number % 4}",
            is_active=bool(number % 3),
        )
    UserFactory(full_name="Someone Else")
    for users in (User.objects.search("quinn"), User.objects.search("quinn").active()):
        expected = list(users.sorted_by(ordering))
        rows, total = users.first_counted(ordering, 4, cap=len(expected))
        assert (rows, total) == (expected[:4], len(expected))
        assert users.first_counted(ordering, 4, cap=len(expected) - 1) is None
        assert users.count_up_to(100) == len(expected)
        assert users.count_up_to(2) == 3


@postgres_only
def test_a_query_without_limit_fetches_exactly_the_matching_ids():
    """Pages and capped counts keep the semi-join for the planner to walk a
    sort index; a query without LIMIT collects the ids first."""
    UserFactory(username="ada")
    users = User.objects.search("ada")
    assert '"id" = ANY(ARRAY(SELECT' in str(users.query)
    assert '"id" IN (SELECT' in str(users[:26].query)
    assert 'users_user"' not in str(users.capped_ids(10).query)
    assert '"id" IN (SELECT' in str(users.active().capped_ids(10).query)


@postgres_only
def test_a_prefix_sorted_by_a_searched_column_collects_its_ids_first():
    """Its matches lie together in that order: a walk could pass most of the
    table before the first one."""
    UserFactory(username="zoe")
    prefix = User.objects.search("zo")
    assert "= ANY(ARRAY(SELECT" in str(prefix.sorted_by("full_name")[:26].query)
    assert "= ANY(ARRAY(SELECT" in str(prefix.sorted_by("-email")[:26].query)
    assert '"id" IN (SELECT' in str(prefix.sorted_by("-created_at")[:26].query)
    substring = User.objects.search("zoe")
    assert '"id" IN (SELECT' in str(substring.sorted_by("full_name")[:26].query)
    assert list(prefix.sorted_by("full_name")[:26]) == list(substring)
