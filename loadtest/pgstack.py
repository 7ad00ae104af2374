"""The database half of `make scaleout-test`: a streaming replica of the
primary cluster (pg_basebackup, its own port, a replication slot) and a
PgBouncer in transaction mode in front of each. All on 127.0.0.1, run as the
postgres user (PostgreSQL and PgBouncer refuse root), in a scratch folder.

Everything it changes on the primary is undone by the cleanup callbacks it
registers: the replication line in pg_hba.conf (marked, removed, reloaded)
and the replication slot. The primary is only ever reloaded, never restarted:
CI runs its test suites on it. A run killed before its cleanup leaves them
behind; the next run removes those first (forget_leftovers).
"""

import os
import re
import shutil
import signal
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import psycopg

MARK = "noogh-scaleout"
SLOT_PREFIX = "noogh_scaleout_"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(*args, **kwargs) -> subprocess.CompletedProcess:
    kwargs.setdefault("check", True)
    return subprocess.run(
        [str(a) for a in args], user="postgres", group="postgres", **kwargs
    )


def wait_for(check, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up within {timeout:.0f} s")


def answers(port: int, dbname: str = "postgres") -> bool:
    try:
        with psycopg.connect(
            host="127.0.0.1",
            port=port,
            user="postgres",
            dbname=dbname,
            connect_timeout=2,
        ) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


class PrimaryAccess:
    """What the run may change on the primary, each change undone at cleanup."""

    def __init__(self, admin_url: str, cleanup: ExitStack):
        self.admin_url, self.cleanup = admin_url, cleanup
        self.tag = f"{MARK} {os.getpid()}"
        with self.connect() as conn:
            self.hba_file = Path(conn.execute("SHOW hba_file").fetchone()[0])
            major = conn.execute("SHOW server_version_num").fetchone()[0][:2]
        self.bin = Path(f"/usr/lib/postgresql/{major}/bin")
        self.slot = f"{SLOT_PREFIX}{os.getpid()}"

    def connect(self) -> psycopg.Connection:
        return psycopg.connect(self.admin_url, autocommit=True)

    def forget_leftovers(self) -> None:
        """Slots and hba lines of earlier runs whose process is gone."""
        with self.connect() as conn:
            for (slot,) in conn.execute(
                "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE %s"
                " AND NOT active",
                [SLOT_PREFIX + "%"],
            ).fetchall():
                if not _alive(int(slot.removeprefix(SLOT_PREFIX) or 0)):
                    conn.execute("SELECT pg_drop_replication_slot(%s)", [slot])
        stale = re.compile(rf"# {MARK} (\d+)$")
        lines = self.hba_file.read_text().splitlines(keepends=True)
        kept = [
            line
            for line in lines
            if not (m := stale.search(line.rstrip())) or _alive(int(m.group(1)))
        ]
        if kept != lines:
            self._write_hba(kept)

    def allow_replication(self) -> None:
        line = f"host replication postgres 127.0.0.1/32 trust # {self.tag}\n"
        original = self.hba_file.read_text()
        # First: pg_hba.conf is read top down and "all" lines skip replication.
        self._write_hba([line, original])
        self.cleanup.callback(self._remove_hba_line, line)

    def _remove_hba_line(self, line: str) -> None:
        self._write_hba(
            [x for x in self.hba_file.read_text().splitlines(True) if x != line]
        )

    def _write_hba(self, lines: list[str]) -> None:
        # In place: the file keeps its owner and mode.
        with open(self.hba_file, "r+") as handle:
            handle.seek(0)
            handle.write("".join(lines))
            handle.truncate()
        with self.connect() as conn:
            conn.execute("SELECT pg_reload_conf()")

    def drop_slot_at_cleanup(self) -> None:
        def drop():
            with self.connect() as conn:
                for _ in range(50):  # the replica's walsender may still be exiting
                    active = conn.execute(
                        "SELECT active FROM pg_replication_slots WHERE slot_name = %s",
                        [self.slot],
                    ).fetchone()
                    if active is None:
                        return
                    if not active[0]:
                        conn.execute("SELECT pg_drop_replication_slot(%s)", [self.slot])
                        return
                    time.sleep(0.2)

        self.cleanup.callback(drop)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return pid > 0


class Replica:
    """A hot standby of the primary, streaming through a slot."""

    def __init__(self, primary: PrimaryAccess, work: Path, cleanup: ExitStack):
        self.primary, self.cleanup = primary, cleanup
        self.data = work / "replica"
        self.port = free_port()

    def create(self, primary_port: int) -> None:
        self.primary.allow_replication()
        self.primary.drop_slot_at_cleanup()
        self.data.mkdir(mode=0o700)
        shutil.chown(self.data, "postgres", "postgres")
        as_postgres(
            self.primary.bin / "pg_basebackup",
            "-h", "127.0.0.1", "-p", primary_port, "-U", "postgres",
            "-D", self.data, "-R", "-X", "stream", "-C", "-S", self.primary.slot,
            "-c", "fast",
        )  # fmt: skip
        (self.data / "postgresql.conf").write_text(
            f"port = {self.port}\nlisten_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.data}'\n"
            "hot_standby = on\nhot_standby_feedback = on\n"
            "shared_buffers = 128MB\nmax_connections = 100\n"
            "max_standby_streaming_delay = 30s\nwal_receiver_status_interval = 1s\n"
            "include_if_exists = 'lag.conf'\n"
        )
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        )
        for name in ("postgresql.conf", "pg_hba.conf"):
            shutil.chown(self.data / name, "postgres", "postgres")
        self.start()
        self.cleanup.callback(self.stop)

    def start(self) -> None:
        as_postgres(
            self.primary.bin / "pg_ctl", "-D", self.data, "-l", self.data / "log",
            "-w", "-t", "120", "start", stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(lambda: answers(self.port), "the replica")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            as_postgres(
                self.primary.bin / "pg_ctl", "-D", self.data, "-m", "fast", "-w",
                "stop", stdout=subprocess.DEVNULL, check=False,
            )  # fmt: skip

    def set_apply_delay(self, milliseconds: int) -> None:
        """Lag on purpose: replay each commit this long after it was made."""
        conf = self.data / "lag.conf"
        conf.write_text(f"recovery_min_apply_delay = '{milliseconds}ms'\n")
        shutil.chown(conf, "postgres", "postgres")
        as_postgres(self.primary.bin / "pg_ctl", "-D", self.data, "reload",
                    stdout=subprocess.DEVNULL)  # fmt: skip


class Bouncer:
    """PgBouncer in transaction pooling mode in front of one cluster."""

    def __init__(self, name: str, target_port: int, work: Path, cleanup: ExitStack,
                 fail_fast: bool = False):  # fmt: skip
        self.dir = work / f"pgbouncer-{name}"
        self.dir.mkdir()
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        (self.dir / "users.txt").write_text('"postgres" ""\n')
        # A replica's pooler gives up at once on a server that is gone, so the
        # app falls back to the primary instead of queueing behind it.
        waits = (
            "query_wait_timeout = 3\nserver_login_retry = 1\n"
            if fail_fast
            else ("query_wait_timeout = 20\nserver_login_retry = 2\n")
        )
        (self.dir / "pgbouncer.ini").write_text(
            f"[databases]\n* = host=127.0.0.1 port={target_port}\n"
            f"[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {self.port}\n"
            "unix_socket_dir =\nauth_type = trust\n"
            f"auth_file = {self.dir / 'users.txt'}\n"
            "pool_mode = transaction\ndefault_pool_size = 20\n"
            "max_client_conn = 1000\nserver_reset_query =\n"
            f"{waits}logfile = {self.dir / 'pgbouncer.log'}\n"
        )
        shutil.chown(self.dir, "postgres", "postgres")
        for child in self.dir.iterdir():
            shutil.chown(child, "postgres", "postgres")
        cleanup.callback(self.stop)

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["pgbouncer", str(self.dir / "pgbouncer.ini")],
            user="postgres",
            group="postgres",
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: _listening(self.port), "PgBouncer", timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # immediate shutdown
            self.process.wait(timeout=10)

    def restart(self) -> None:
        self.stop()
        self.start()


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0
