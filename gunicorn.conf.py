"""gunicorn settings for `make serve`; every knob from the environment."""

import multiprocessing
import os

bind = os.environ.get("BIND", "127.0.0.1:8000")
# Requests spend most of their time waiting on PostgreSQL, so two workers per
# core, each with a few threads, keep both cores busy.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
threads = int(os.environ.get("GUNICORN_THREADS", 4))
worker_class = "gthread"
# Each worker listens on its own socket and the kernel spreads new connections
# across them; with one shared socket a busy worker kept accepting the
# keep-alive connections and one core did most of the work.
reuse_port = True
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
