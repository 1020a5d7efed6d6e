#!/usr/bin/env bash
# `make demo`: set up and serve the whole platform with demo data. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
export DJANGO_SETTINGS_MODULE=config.settings.local
export CELERY_TASK_ALWAYS_EAGER=true
# runserver starts a thread per request: a kept connection would outlive its thread (even
# with CONN_MAX_AGE set in a .env)
export CONN_MAX_AGE=0
# DATABASE_URL's database is created when it does not exist (else one line says why not);
# without it, the local pairing_demo (or SQLite)
DATABASE_URL=$($PY scripts/demo_database.py)
export DATABASE_URL
if [ -z "${CACHE_URL:-}" ] && ! $PY -c "import redis,sys; redis.Redis.from_url('${REDIS_URL:-redis://127.0.0.1:6379/0}', socket_connect_timeout=2).ping()" 2>/dev/null; then
  echo "NOTICE: Redis did not answer; the demo caches in memory (Celery runs eagerly anyway)."
  export CACHE_URL=locmemcache://
fi
PORT=${PORT:-8000}
echo "database: ${DATABASE_URL}"
$PY manage.py demo_setup
$PY manage.py compilemessages --ignore=.venv -v 0 2>/dev/null || true
cat <<MSG

对口帮扶 demo is starting on http://127.0.0.1:${PORT}/
  back office (管理后台):   http://127.0.0.1:${PORT}/admin/
  portal (律协门户):        http://127.0.0.1:${PORT}/portal/
  API docs (接口文档):      http://127.0.0.1:${PORT}/api/v1/docs/
  health:                  http://127.0.0.1:${PORT}/healthz
Stop with Ctrl-C. Run 'make demo' again at any time: it is safe to rerun.
MSG
exec $PY manage.py runserver "127.0.0.1:${PORT}" --noreload
