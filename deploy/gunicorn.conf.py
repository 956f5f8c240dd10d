"""gunicorn's settings for one host: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be changed from the environment (deploy/systemd/minerales.service sets
them); what is here is what a host of the school uses unless told otherwise.
"""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

# nginx reaches every host on this address (a private one on a real network).
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Sync workers: a request holds its worker for its whole life, so the count is the number of
# requests in progress at once. Most of a request's time is spent waiting for PostgreSQL,
# so a core keeps two workers busy; the "+ 1" covers the one held up by a slow client.
workers = int(os.environ.get("GUNICORN_WORKERS") or multiprocessing.cpu_count() * 2 + 1)
worker_class = "sync"

# A request that takes longer than this has a worker stuck (a lock, a dead connection):
# gunicorn kills the worker and starts another. Above the database's lock timeout
# (DB_LOCK_TIMEOUT_MS, 10 s) and the mail timeout, below nginx's proxy_read_timeout (35 s).
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# Graceful reload (`systemctl reload minerales`, i.e. SIGHUP): new workers start with the new
# code, old ones finish the request in hand, for at most this long, then exit.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Not preloaded: each worker imports the app itself, so a reload really loads the new code.
preload_app = False
# A worker is replaced after this many requests (plus a jitter, so that they do not all
# restart together): whatever a long-lived process might accumulate is let go.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10

# The app writes its own JSON line per request (app/observability.py): no second access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# X-Forwarded-* are read by the app's ProxyFix (PROXY_FIX_X_FOR), not by gunicorn.
forwarded_allow_ips = ""

# Prometheus: each worker writes its counters to files in this folder and /metrics adds
# them up (app/metrics.py). Set here, before any worker imports prometheus_client, which
# reads it at import. systemd gives each service a RuntimeDirectory (emptied at each start).
_runtime = os.environ.get("RUNTIME_DIRECTORY") or tempfile.gettempdir()
_port = bind.rsplit(":", 1)[-1]
os.environ.setdefault(
    "PROMETHEUS_MULTIPROC_DIR", str(Path(_runtime) / f"minerales-prometheus-{_port}")
)


def on_starting(server):
    """Start from an empty metrics folder: a previous run's values must not be added in."""
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)


def child_exit(server, worker):
    """A worker that ended: its counters stay summed, its live-only gauges are dropped."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)
