# One image for the web server (gunicorn), the Celery worker and Celery beat; see
# docker-compose.yml. Build: `docker compose build`.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies first so a code change does not reinstall them. `pip install .` installs
# only the dependencies (pyproject has `packages = []`); the code runs from /app.
COPY pyproject.toml README.md ./
RUN pip install .

COPY . .

# Static files are part of the image. The SECRET_KEY and ALLOWED_HOSTS here only let the
# production settings import for this one command; they are not in the final environment.
RUN SECRET_KEY=collectstatic-build-only-not-a-secret ALLOWED_HOSTS=localhost \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown app:app /app/media

USER app
EXPOSE 8000
CMD ["gunicorn", "--config", "config/gunicorn.py", "config.wsgi"]
