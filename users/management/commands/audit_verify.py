"""Verify the audit trail's hash chain (users.audit.chain); report the first
broken link and exit non-zero. Prints the head: keep it somewhere the
database's administrators cannot write, and pass it back with --anchor."""

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from users.audit import chain


def anchor(value: str) -> tuple[int, str]:
    seq, _, hash_ = value.partition(":")
    hex_digits = set("0123456789abcdef")
    if not (seq.isascii() and seq.isdigit() and len(seq) < 19):
        raise ValueError(value)
    if len(hash_) != 64 or not set(hash_.lower()) <= hex_digits:
        raise ValueError(value)
    return int(seq), hash_.lower()


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain and report the first event where "
        "it breaks (exit status 1). Seals waiting events first unless --no-seal."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-seal", action="store_true", help="Verify only; write nothing."
        )
        parser.add_argument(
            "--anchor",
            type=anchor,
            action="append",
            default=[],
            metavar="POSITION:HASH",
            help="A head printed earlier and kept elsewhere: the chain must still "
            "hold that hash at that position (repeatable).",
        )

    def handle(self, *args, no_seal: bool, anchor: list, **options):
        try:
            if not no_seal:
                chain.seal()
            report = chain.verify()
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        if seq := report.start[0]:
            self.stdout.write(f"Starts after the purge's checkpoint: position {seq}.")
        self.stdout.write(f"Checked {report.checked} event(s).")
        if report.unsealed:
            self.stdout.write(f"{report.unsealed} event(s) not sealed yet.")
        if broken := report.broken:
            raise CommandError(
                f"First broken link: event #{broken.event_id} at chain position "
                f"{broken.seq}: expected {broken.expected}, found {broken.found} "
                f"({broken.reason})."
            )
        self.stdout.write(f"Head: position {report.head[0]}, {report.head[1]}")
        self._check_anchors(anchor, report.start[0])
        self.stdout.write("The chain holds.")

    def _check_anchors(self, anchors: list[tuple[int, str]], purged: int) -> None:
        for seq, expected in anchors:
            if seq < purged:
                self.stdout.write(f"Anchor at position {seq}: purged, not checked.")
                continue
            found = chain.at_position(seq)
            if found != expected:
                raise CommandError(
                    f"Anchor at position {seq}: expected {expected}, found "
                    f"{found or 'no such event'} (the chain was cut or rewritten)."
                )
