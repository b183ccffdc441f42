# The server image: the Procfile's processes, for those who deploy with containers.
# compose.yaml runs it with PostgreSQL, Redis, the release step and two web processes.
# CMD and compose.yaml's release command are the Procfile's lines (tests/deploy/ checks);
# hadolint lints this file in the test suite (no container daemon there to build it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Static files are served from staticfiles/ by WhiteNoise; built once, into the image.
RUN DEBUG=true python manage.py collectstatic --noinput -v0 \
    && useradd --system --no-create-home --uid 10001 app \
    && mkdir -p /app/media && chown 10001 /app/media

USER 10001
EXPOSE 8000
# The Procfile's web line; sh expands ${WEB_BIND} and ${PORT} as the Procfile's runner does.
CMD ["sh", "-c", "uvicorn --host ${WEB_BIND:-0.0.0.0} --port ${PORT:-8000} --lifespan off --no-access-log --no-proxy-headers --ws realtime.server_ws:LeanWSProtocol --ws-per-message-deflate false --timeout-graceful-shutdown 10 --log-level warning config.asgi:application"]
