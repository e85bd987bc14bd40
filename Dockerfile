# hotline-intake: one image for `serve` and `worker`.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /srv/hotline-intake

# dependencies first, so code changes do not reinstall them
COPY pyproject.toml README.md ./
COPY app/__init__.py app/__init__.py
RUN pip install --upgrade pip && pip install .

COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
RUN pip install --no-deps . \
    && useradd --system --home /srv/hotline-intake hotline \
    && mkdir -p /srv/hotline-intake/var && chown hotline /srv/hotline-intake/var
USER hotline

# Configuration comes from the environment (see README): at least DATABASE_URL,
# ENVIRONMENT=production, REPORTER_KEYS and REPORTER_HASH_KEY in production.
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz').status != 200)"
ENTRYPOINT ["hotline-intake"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8000"]
