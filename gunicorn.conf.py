"""gunicorn settings for `make serve`; every knob from the environment."""

import errno
import multiprocessing
import os
import socket
import sys

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Requests spend most of their time waiting on PostgreSQL, so two workers per
# core, each with a few threads, keep both cores busy.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
# One listening socket, bound by the master alone and shared by the workers.
# With reuse_port (SO_REUSEPORT) the master bound nothing and each worker bound
# its own socket, which the kernel also lets a second instance do: started on
# a taken port, it served silently beside the first. (Measured before: per-
# worker sockets spread keep-alive connections more evenly across cores; re-run
# `make loadtest` when tuning, but never at the price of a silent double.)
reuse_port = False
timeout = int(os.environ.get("GUNICORN_TIMEOUT", 30))
graceful_timeout = 20
keepalive = 5
# Off by default: a recycled worker drops its idle keep-alive connections, and a
# client that reuses one for a POST sees "connection reset" (9 of 27,696
# requests in the load test at 5,000). Set it if a leak ever needs containing.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 0))
max_requests_jitter = max_requests // 10
accesslog = "-"
errorlog = "-"
wsgi_app = "noogh_site.wsgi:application"


def on_starting(server):
    """Stop at once, with one clear line, when an address is taken: gunicorn
    itself retries for five seconds and then says only "Can't connect"."""
    if os.environ.get("GUNICORN_FD") or os.environ.get("LISTEN_FDS"):
        return  # an upgrade (USR2) or systemd: the sockets are handed over
    for address in server.cfg.address:
        if _in_use(address):
            shown = (
                address if isinstance(address, str) else f"{address[0]}:{address[1]}"
            )
            sys.exit(
                f"noogh: cannot listen on {shown}: another server is already "
                "listening there. Stop it, or set BIND to a free address."
            )


def _in_use(address) -> bool:
    if isinstance(address, int):  # an inherited file descriptor
        return False
    if isinstance(address, str):  # a Unix socket, which gunicorn would replace
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            return probe.connect_ex(address) == 0
    host, port = address[:2]
    for family, kind, proto, _, target in socket.getaddrinfo(
        host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
    ):
        with socket.socket(family, kind, proto) as probe:
            # As gunicorn binds: connections in TIME_WAIT do not count.
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(target)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    return True
    return False
