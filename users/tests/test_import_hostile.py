"""import_users against hostile files and paths: dates the database cannot
hold, quotes left open, values with NUL bytes, an errors path that is the input
or cannot be written. A clear message, never a traceback, nothing half-written."""

import csv
import json
import os
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from users.models import User

from .factories import SuperuserFactory

pytestmark = pytest.mark.django_db
SHAPES = json.loads(
    (Path(__file__).parent / "data" / "hostile_shapes.json").read_text()
)
HEADER = "username,email,full_name,created_at\n"
GOOD = "username,email,full_name\nx,x@example.com,X\n"


def write(tmp_path, text: str, name="users.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8", newline="")
    return path


def run(path, *args):
    call_command("import_users", str(path), *args)


def rejections(path) -> list[dict]:
    with open(f"{path}.errors.csv", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_dates_the_site_cannot_hold_are_rejected_per_row(tmp_path):
    rows = [
        f"u{n},u{n}@example.com,U,{moment}"
        for n, moment in enumerate(SHAPES["created_at_rejected"])
    ]
    path = write(
        tmp_path, HEADER + "ok,ok@example.com,Ok,2020-01-01\n" + "\n".join(rows)
    )
    with pytest.raises(CommandError, match=f"{len(rows)} row"):
        run(path)
    assert {row["field"] for row in rejections(path)} == {"created_at"}
    assert list(User.objects.values_list("username", flat=True)) == ["ok"]


def test_sane_dates_are_stored_in_utc(tmp_path):
    rows = [
        f"u{n},u{n}@example.com,U,{moment}"
        for n, moment in enumerate(SHAPES["created_at_accepted"])
    ]
    run(write(tmp_path, HEADER + "\n".join(rows) + "\n"))
    stored = User.objects.order_by("username").values_list("created_at", flat=True)
    assert len(stored) == len(rows)
    assert all(moment.utcoffset().total_seconds() == 0 for moment in stored)


def test_after_a_hostile_import_every_page_still_works(tmp_path, client):
    dates = SHAPES["created_at_rejected"] + SHAPES["created_at_accepted"]
    rows = [f"u{n},u{n}@example.com,U,{moment}" for n, moment in enumerate(dates)]
    with pytest.raises(CommandError):
        run(write(tmp_path, HEADER + "\n".join(rows) + "\n"))
    client.force_login(SuperuserFactory())
    someone = User.objects.exclude(is_superuser=True).first()
    for url in (
        reverse("users:list"),
        reverse("users:list") + "?q=u1&ordering=created_at",
        reverse("users:export"),
        reverse("users:detail", args=[someone.pk]),
        reverse("admin:users_user_changelist"),
        reverse("admin:users_user_change", args=[someone.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        if response.streaming:
            b"".join(response.streaming_content)
    assert client.post(reverse("users:delete", args=[someone.pk])).status_code == 302


@pytest.mark.parametrize("shape", SHAPES["csv_open_quotes"])
def test_a_quote_left_open_is_reported_with_its_line(tmp_path, capsys, shape):
    path = write(tmp_path, "username,email,full_name\n" + shape["text"])
    with pytest.raises(CommandError) as refused:
        run(path)
    said = str(refused.value) + capsys.readouterr().err
    assert f"line {shape['line']}" in said, said
    assert not User.objects.filter(username__in=["bob", "carl"]).exists()


def test_a_quote_open_to_the_end_imports_nothing(tmp_path):
    text = 'ada,ada@example.com,Ada\nbob,bob@example.com,"Bob\ncarl,c@example.com,C\n'
    path = write(tmp_path, "username,email,full_name\n" + text)
    with pytest.raises(CommandError, match="quote opened on line 3 is never closed"):
        run(path)
    assert not User.objects.exists()


@pytest.mark.parametrize("column", ["username", "email", "full_name"])
def test_hostile_values_are_rejected_or_stored_never_a_traceback(tmp_path, column):
    for n, value in enumerate(SHAPES["csv_values"]):
        fields = {"username": f"v{n}", "email": f"v{n}@example.com", "full_name": "V"}
        fields[column] = value
        line = ",".join(
            f'"{fields[name]}"' for name in ("username", "email", "full_name")
        )
        path = write(tmp_path, f"username,email,full_name\n{line}\n")
        try:
            run(path)
        except CommandError as error:
            assert "Traceback" not in str(error)
    for user in User.objects.all():
        assert "\x00" not in user.username + user.email + user.full_name


def test_a_missing_errors_folder_is_refused_before_anything(tmp_path):
    path = write(tmp_path, GOOD)
    missing = tmp_path / "no" / "such" / "dir" / "x.csv"
    with pytest.raises(CommandError, match="folder must exist"):
        run(path, "--errors", str(missing))
    assert not User.objects.exists()
    assert not (tmp_path / "no").exists()


def test_an_errors_path_that_is_a_folder_is_refused(tmp_path):
    with pytest.raises(CommandError, match="cannot write the rejected rows"):
        run(write(tmp_path, GOOD), "--errors", str(tmp_path))
    assert not User.objects.exists()


def test_an_input_in_a_missing_folder_is_a_clear_message(tmp_path):
    with pytest.raises(CommandError, match="no such file"):
        run(tmp_path / "missing" / "users.csv")


def spellings(path: Path, tmp_path: Path, monkeypatch) -> list[str]:
    """Every way of naming path again: relative, dotted, a symlink, a hard link."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    os.symlink(path, tmp_path / "link.csv")
    os.link(path, tmp_path / "hard.csv")
    return [
        str(path),
        "users.csv",
        "./sub/../users.csv",
        str(tmp_path / "link.csv"),
        "link.csv",
        str(tmp_path / "hard.csv"),
    ]


def test_the_errors_file_can_never_be_the_input(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD)
    for errors in spellings(path, tmp_path, monkeypatch):
        for name in (str(path), "users.csv", "hard.csv", "link.csv"):
            with pytest.raises(CommandError, match="must not name the file"):
                run(name, "--errors", errors)
            assert path.read_text(encoding="utf-8") == GOOD, (name, errors)
    assert not User.objects.exists()


def test_the_errors_file_quotes_every_cell_and_neutralises_formulas(tmp_path):
    path = write(tmp_path, HEADER + "Bob;=cmd|' /C calc'!A0,b@example.com,B,\n")
    with pytest.raises(CommandError):
        run(path)
    lines = Path(f"{path}.errors.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == '"line","field","value","message"'
    assert lines[1].startswith('"2","username","\'Bob;=cmd|')
    assert rejections(path)[0]["value"] == "'Bob;=cmd|' /C calc'!A0"
