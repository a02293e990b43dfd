FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    UV_PYTHON_DOWNLOADS=never UV_PROJECT_ENVIRONMENT=/opt/venv PATH="/opt/venv/bin:$PATH" \
    CAIJI_DATA_DIR=/data CAIJI_STATIC_ROOT=/app/staticfiles
# pg_dump / pg_restore for `manage.py backup` and `restore`: the client must be at least the
# server's major version (postgres:16 in docker-compose.yml), so it comes from apt.postgresql.org.
RUN apt-get update && apt-get install -y --no-install-recommends gettext ca-certificates \
        postgresql-common \
    && /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y \
    && apt-get install -y --no-install-recommends postgresql-client-16 \
    && rm -rf /var/lib/apt/lists/* && pip install --no-cache-dir uv==0.13.8
WORKDIR /app
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project
COPY . .
# Collect with production storage (DEBUG off) so the manifest whitenoise needs is written.
RUN DEBUG=0 SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 1000 caiji && mkdir -p /data && chown caiji /data
USER caiji
EXPOSE 8000
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "4", "--timeout", "120"]
