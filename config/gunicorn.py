"""gunicorn settings for the container image (`gunicorn -c config/gunicorn.py config.wsgi`).

Kept here rather than on the command line so the Dockerfile's CMD and the compose `web`
command (which migrates first) cannot drift apart.
"""

bind = "0.0.0.0:8000"
# Three sync workers: the pages and the API are short database-bound requests.
workers = 3
worker_class = "sync"
# Restart each worker after about a thousand requests to cap slow memory growth; the jitter
# keeps the three from restarting at the same moment.
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
