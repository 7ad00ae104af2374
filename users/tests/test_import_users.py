import csv
import re
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from users.imports import Staging
from users.models import User
from users.services import imports

from .factories import UserFactory
from .markers import postgres_only

pytestmark = pytest.mark.django_db
HEADER = "username,email,full_name,is_active,is_superuser,created_at\n"


def write(tmp_path, text: str, name="users.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def run(path, *args):
    call_command("import_users", str(path), *args)


def errors_of(path) -> list[dict]:
    with open(f"{path}.errors.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_good_file(tmp_path, capsys):
    path = write(
        tmp_path,
        HEADER
        + "ada,Ada@Example.COM,Ada Lovelace,true,false,2020-01-02T03:04:05Z\n"
        + "root,root@example.com,Root,yes,true,2021-06-01\n"
        + "off,off@example.com,,false,,\n",
    )
    run(path)
    assert "Imported 3 rows" in capsys.readouterr().out
    ada = User.objects.get_by_username("ada")
    assert ada.email == "Ada@example.com"
    assert ada.created_at == datetime(2020, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert not ada.has_usable_password()
    root = User.objects.get_by_username("root")
    assert root.is_superuser and root.is_staff
    assert not User.objects.get_by_username("off").is_active
    assert not (tmp_path / "users.csv.errors.csv").exists()


def test_only_required_columns(tmp_path):
    run(write(tmp_path, "username,email,full_name\nada,ada@example.com,Ada\n"))
    assert User.objects.get_by_username("ada").is_active


def test_bad_rows_are_reported_with_line_and_field(tmp_path, capsys):
    path = write(
        tmp_path,
        HEADER
        + "ada,ada@example.com,Ada,,,\n"
        + "two words,tw@example.com,Two,,,\n"
        + "carl,not-an-email,Carl,,,\n"
        + "dan,dan@example.com,Dan,maybe,,\n"
        + "eve,eve@example.com,Eve,,,tomorrow\n"
        + "fay,fay@example.com,Fay\n"
        + "gus,gus@example.com,=cmd|' /C calc'!A0,,,3000-01-01\n",
    )
    with pytest.raises(CommandError, match="6 row"):
        run(path)
    assert [(e["line"], e["field"]) for e in errors_of(path)] == [
        ("3", "username"),
        ("4", "email"),
        ("5", "is_active"),
        ("6", "created_at"),
        ("7", "line"),
        ("8", "created_at"),
    ]
    assert "line 4: email: Enter a valid email address." in capsys.readouterr().err
    assert list(User.objects.values_list("username", flat=True)) == ["ada"]


def test_errors_csv_neutralises_formulas(tmp_path):
    path = write(tmp_path, HEADER + "=HYPERLINK(1),x@example.com,X,,,\n")
    with pytest.raises(CommandError):
        run(path)
    assert errors_of(path)[0]["value"] == "'=HYPERLINK(1)"


def test_case_duplicates_within_the_file(tmp_path):
    path = write(
        tmp_path,
        HEADER
        + "ada,ada@example.com,Ada,,,\n"
        + "ADA,other@example.com,Other,,,\n"
        + "bob,ADA@EXAMPLE.COM,Bob,,,\n",
    )
    with pytest.raises(CommandError, match="2 row"):
        run(path)
    assert [(e["line"], e["field"]) for e in errors_of(path)] == [
        ("3", "username"),
        ("4", "email"),
    ]
    assert User.objects.count() == 1


def test_case_duplicates_against_the_database(tmp_path, capsys):
    UserFactory(username="Ada", email="ada@example.com", full_name="Old")
    path = write(
        tmp_path, HEADER + "ada,ADA@example.com,New,,,\nbob,bob@example.com,Bob,,,\n"
    )
    run(path)  # skip
    assert "1 created, 0 updated, 1 already there" in capsys.readouterr().out
    assert User.objects.get_by_username("ada").full_name == "Old"

    run(path, "--on-conflict", "update")
    assert User.objects.get_by_username("ada").full_name == "New"

    User.objects.filter(username="bob").delete()
    with pytest.raises(CommandError, match="nothing was imported"):
        run(path, "--on-conflict", "fail")
    assert not User.objects.filter(username="bob").exists()
    assert errors_of(path)[0]["line"] == "2"


def test_update_refuses_an_email_owned_by_someone_else(tmp_path):
    UserFactory(username="ada", email="ada@example.com")
    UserFactory(username="bob", email="bob@example.com")
    path = write(tmp_path, HEADER + "ada,BOB@example.com,Ada,,,\n")
    with pytest.raises(CommandError, match="1 row"):
        run(path, "--on-conflict", "update")
    assert User.objects.get_by_username("ada").email == "ada@example.com"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "is empty"),
        ("ada,ada@example.com,Ada\n", "no header line"),
        ("username,email,full_name,password\n", "unknown column(s) password"),
        ("username,full_name\nada,Ada\n", "lacks the column(s) email"),
        ("username,email,full_name,email\n", "names a column twice"),
        (b"username,email,full_name\nj\xf6rg,j@example.com,J\n", "not UTF-8"),
    ],
)
def test_bad_files_get_a_clear_message(tmp_path, content, message):
    path = write(tmp_path, content)
    with pytest.raises(CommandError, match=re.escape(message)):
        run(path)
    assert not User.objects.exists()


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "absent.csv")


def test_bom_crlf_and_quoted_newlines(tmp_path):
    text = (
        "\ufeffusername,email,full_name\r\n"
        'ada,ada@example.com,"Ada\r\nLovelace"\r\n'
        "bad user,b@example.com,B\r\n"
    )
    path = write(tmp_path, text)
    with pytest.raises(CommandError, match="1 row"):
        run(path)
    assert User.objects.get_by_username("ada").full_name == "Ada Lovelace"
    assert errors_of(path)[0]["line"] == "4"


def test_dry_run_writes_nothing(tmp_path, capsys):
    run(write(tmp_path, HEADER + "ada,ada@example.com,Ada,,,\n"), "--dry-run")
    out = capsys.readouterr().out
    assert "Would import 1 rows" in out and "nothing was written" in out
    assert not User.objects.exists()


def test_interrupted_run_leaves_nothing_and_a_rerun_is_idempotent(
    tmp_path, monkeypatch
):
    rows = "".join(f"u{n},u{n}@example.com,User {n},,,\n" for n in range(50))
    path = write(tmp_path, HEADER + rows)

    def killed(*args):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(Staging, "merge", killed)  # the general path
        patch.setattr(imports, "load_into_empty", killed)  # the first load
        with pytest.raises(KeyboardInterrupt):
            run(path)
    assert not User.objects.exists()
    run(path)
    assert User.objects.count() == 50
    run(path)
    assert User.objects.count() == 50


def test_plain_progress_lines_when_not_a_terminal(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        "users.management.commands.import_users.PLAIN_PROGRESS_EVERY", 10
    )
    rows = "".join(f"u{n},u{n}@example.com,User {n},,,\n" for n in range(25))
    run(write(tmp_path, HEADER + rows))
    err = capsys.readouterr().err
    assert "read 10 rows" in err and "read 20 rows" in err and "rows/s" in err


@postgres_only
def test_a_merge_into_a_populated_table_leaves_the_indexes_as_they_were(tmp_path):
    UserFactory.create_batch(5)
    run(write(tmp_path, HEADER + "ada,ada@example.com,Ada,,,\n"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reloptions FROM pg_class WHERE relname LIKE 'users_search_%%_trgm'"
        )
        assert {tuple(row[0]) for row in cursor.fetchall()} == {("fastupdate=off",)}
    assert User.objects.search("ada").count() == 1
