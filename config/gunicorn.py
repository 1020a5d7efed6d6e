"""gunicorn settings for the container image (`gunicorn -c config/gunicorn.py config.wsgi`).

Kept here rather than on the command line so the Dockerfile's CMD and the compose `web`
command (which migrates first) cannot drift apart.
"""

import os
from collections.abc import Mapping

WORKER_CLASSES = ("sync", "gthread")


def _whole(environ: Mapping[str, str], name: str, default: int, *, least: int = 1) -> int:
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < least:
        raise ValueError(f"{name} must be a whole number of at least {least}, not {raw!r}")
    return int(raw)


def worker_model(environ: Mapping[str, str] = os.environ) -> dict[str, object]:
    """The worker model from GUNICORN_WORKER_CLASS, GUNICORN_WORKERS, GUNICORN_THREADS and
    GUNICORN_KEEPALIVE (README, Configuration), by default the one measured best here.

    Measured with `make load` on the 2-core machine kind, interleaved runs in one session
    (README, "Choosing the worker model"): 2 gthread workers × 4 threads served 1.3–1.5×
    the requests per second of 3 sync workers, with no errors (3 × 2 threads did as well;
    5 sync workers 1.1×). Part of every request is a wait for PostgreSQL or Redis; with
    threads a worker runs another request's Python meanwhile, while more processes only
    share the same two cores. Threads above 1 need gthread (gunicorn would switch a sync
    worker to it silently; here the model is stated as it runs).
    """
    worker_class = environ.get("GUNICORN_WORKER_CLASS", "").strip() or "gthread"
    if worker_class not in WORKER_CLASSES:
        raise ValueError(
            f"GUNICORN_WORKER_CLASS must be one of {', '.join(WORKER_CLASSES)}, "
            f"not {worker_class!r}"
        )
    workers = _whole(environ, "GUNICORN_WORKERS", 2)
    threads = _whole(environ, "GUNICORN_THREADS", 4 if worker_class == "gthread" else 1)
    if threads > 1:
        worker_class = "gthread"
    # gthread keeps a connection open this many seconds for the client's next request
    # (sync closes every one). 0: closed after each response. A client that reuses a
    # connection just as the worker closes it at the keep-alive timeout gets a reset
    # (12 errors in 1,126 requests at gunicorn's default of 2 s, none at 0); behind a
    # proxy the proxy keeps the clients' connections open.
    keepalive = _whole(environ, "GUNICORN_KEEPALIVE", 0, least=0)
    return {
        "worker_class": worker_class,
        "workers": workers,
        "threads": threads,
        "keepalive": keepalive,
    }


bind = "0.0.0.0:8000"
# The pages and the API are short database-bound requests: threads overlap their waits.
_model = worker_model()
worker_class = _model["worker_class"]
workers = _model["workers"]
threads = _model["threads"]
keepalive = _model["keepalive"]
# Restart each worker after about a thousand requests to cap slow memory growth; the jitter
# keeps the workers from restarting at the same moment.
max_requests = 1000
max_requests_jitter = 100
# Import the application once in the master; each worker (and each restart above) is a
# fork of it instead of a new import of Django and every app (~1.5 s of CPU per worker
# here; 800 requests with a restart every 100 took 25 s of CPU without, 15 s with).
# Safe because importing config.wsgi opens no database or Redis connection (connections
# open at a worker's first request; tests/core/test_gunicorn_preload.py checks it).
preload_app = True
timeout = 60
graceful_timeout = 30
# Heartbeat files in memory, not on the container's overlay filesystem (gunicorn's advice
# for containers); /dev/shm is private to the container.
worker_tmp_dir = "/dev/shm"  # noqa: S108
accesslog = "-"
errorlog = "-"
