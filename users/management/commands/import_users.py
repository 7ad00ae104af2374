import os
import sys
import time
from dataclasses import astuple
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from users import services
from users.export import cell, writer
from users.imports import (
    CONFLICT_MODES,
    HEADER_HINT,
    BadFile,
    Rejection,
    UserCsvReader,
    check_file,
)
from users.models import User

SHOWN_REJECTIONS = 20
PLAIN_PROGRESS_EVERY = 100_000


class Progress:
    """A bar with rows/s and ETA on a terminal; plain lines in logs and CI."""

    def __init__(self, reader: UserCsvReader, size: int, stream):
        self.reader, self.stream, self.size = reader, stream, size
        self.started = time.monotonic()
        self.bar = None
        if stream.isatty():
            self.bar = tqdm(
                total=size, unit="B", unit_scale=True, file=stream, desc="Reading"
            )
        self.next_line_at = PLAIN_PROGRESS_EVERY

    def rows(self, rows):
        for row in rows:
            yield row
            self._tick()

    def _tick(self) -> None:
        read = self.reader.progress
        if self.bar is not None:
            if read.rows % 5000 == 0:
                self.bar.update(read.bytes_read - self.bar.n)
                self.bar.set_postfix(
                    rows=f"{read.rows:,}", rows_s=f"{self.rate():,.0f}"
                )
        elif read.rows >= self.next_line_at:
            self.next_line_at += PLAIN_PROGRESS_EVERY
            share = read.bytes_read / self.size if self.size else 1
            eta = (time.monotonic() - self.started) * (1 - share) / max(share, 1e-9)
            self.stream.write(
                f"read {read.rows:,} rows ({share:.0%} of the file), "
                f"{self.rate():,.0f} rows/s, about {eta:.0f} s to go\n"
            )

    def rate(self) -> float:
        return self.reader.progress.rows / max(time.monotonic() - self.started, 1e-9)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.update(self.size - self.bar.n)
            self.bar.close()


class ErrorReport:
    """Every rejected row goes to the errors CSV; the first few also to stderr."""

    def __init__(self, path: Path, handle, stderr):
        self.path, self.handle, self.stderr, self.count = path, handle, stderr, 0
        self.writer = writer(self.handle)
        self.writer.writerow(["line", "field", "value", "message"])

    @classmethod
    def open(cls, path: Path, stderr) -> "ErrorReport":
        """Before the import starts: a path that cannot be written is refused."""
        try:
            handle = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        except OSError as error:
            raise CommandError(
                f"cannot write the rejected rows to {path}: {error.strerror} "
                "(--errors names the file; its folder must exist). "
                "Nothing was imported."
            ) from error
        return cls(path, handle, stderr)

    def __call__(self, rejection: Rejection) -> None:
        self.count += 1
        # cell() keeps a hostile value from running as a spreadsheet formula.
        self.writer.writerow([cell(value) for value in astuple(rejection)])
        if self.count <= SHOWN_REJECTIONS:
            self.stderr.write(
                f"line {rejection.line}: {rejection.field}: {rejection.message}"
            )

    def close(self) -> None:
        self.handle.close()
        if not self.count:
            self.path.unlink()  # no clutter when every row was fine
        elif self.count > SHOWN_REJECTIONS:
            self.stderr.write(f"... and {self.count - SHOWN_REJECTIONS:,} more")


class Command(BaseCommand):
    help = (
        f"Import users from a UTF-8 CSV file with the header {HEADER_HINT}. "
        "Valid rows are loaded in one transaction; rejected rows are listed with "
        "their line numbers and written to an errors CSV."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--on-conflict",
            choices=CONFLICT_MODES,
            default="skip",
            help="rows whose username or email exists already: skip them (default),"
            " update the stored user (matched by username), or fail the import",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="check everything, write nothing"
        )
        parser.add_argument(
            "--update-privileges",
            action="store_true",
            help="with --on-conflict update, also write is_superuser of existing "
            "users (otherwise that column applies to new users only)",
        )
        parser.add_argument(
            "--actor",
            metavar="USERNAME",
            help="the staff member this import is done for: their rights apply "
            "and the audit trail names them (default: the system)",
        )
        parser.add_argument(
            "--errors",
            type=Path,
            help="where to write rejected rows (default: FILE.errors.csv)",
        )

    def handle(self, *args, file: Path, on_conflict: str, dry_run: bool, **options):
        self.verbosity = options["verbosity"]
        actor = _actor(options["actor"])
        errors_path = options["errors"] or file.with_name(file.name + ".errors.csv")
        try:
            check_file(file)
        except BadFile as error:
            raise CommandError(f"{error}. Nothing was imported.") from error
        # Before the errors file is opened, which would empty the input.
        if _same_file(errors_path, file):
            raise CommandError(
                f"--errors must not name the file being imported ({file}); "
                "nothing was read or written."
            )
        report = ErrorReport.open(errors_path, self.stderr)
        reader = UserCsvReader(file, on_rejection=report)
        progress = Progress(reader, _size(file), sys.stderr)
        started = time.monotonic()
        try:
            result = services.users_import(
                progress.rows(reader.rows()),
                actor=actor,
                columns=_PresentColumns(reader),
                on_conflict=on_conflict,
                update_privileges=options["update_privileges"],
                dry_run=dry_run,
                on_rejection=report,
                rejected_before=lambda: reader.progress.rejected,
            )
        except (BadFile, services.ImportRefused, PermissionDenied) as error:
            raise CommandError(f"{error}. Nothing was imported.") from error
        except services.ImportConflict as error:
            raise CommandError(
                f"{error} (--on-conflict fail); nothing was imported. "
                f"The rows are listed in {errors_path}."
            ) from error
        finally:
            progress.close()
            report.close()
        seconds = time.monotonic() - started
        self._summary(reader, result, report, seconds, dry_run)

    def _summary(self, reader, result, report, seconds, dry_run) -> None:
        rows = reader.progress.rows
        verb = "Would import" if dry_run else "Imported"
        self.stdout.write(
            f"{verb} {rows:,} rows in {seconds:.1f} s ({rows / max(seconds, 1e-9):,.0f}"
            f" rows/s): {result.inserted:,} created, {result.updated:,} updated, "
            f"{result.skipped:,} already there (skipped), {report.count:,} rejected."
        )
        if self.verbosity >= 2:
            steps = {**result.phases}
            steps["commit + statistics"] = seconds - steps.pop("total", seconds)
            self.stdout.write(
                "Phases: "
                + ", ".join(f"{name} {took:.1f} s" for name, took in steps.items())
            )
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
        if report.count:
            raise CommandError(
                f"{report.count:,} row(s) rejected; see {report.path}. "
                + ("" if dry_run else "The other rows were imported.")
            )


class _PresentColumns:
    """The file's columns, known only once the reader has read the header."""

    def __init__(self, reader: UserCsvReader):
        self.reader = reader

    def __iter__(self):
        return iter(self.reader.columns)


def _actor(username: str | None) -> User | None:
    if username is None:
        return None
    actor = User.objects.get_by_login(username)
    if actor is None:
        raise CommandError(f"--actor {username!r}: no such user.")
    return actor


def _same_file(path: Path, other: Path) -> bool:
    """Any spelling of the same file: relative, absolute, a symlink, a hard link."""
    if path.resolve() == other.resolve():
        return True
    try:
        return os.path.samefile(path, other)
    except OSError:  # path does not exist (yet)
        return False


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
