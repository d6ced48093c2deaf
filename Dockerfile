# Multi-stage: build the wheel and its dependencies, then run as a non-root user.
FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN python -m venv /opt/venv && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
    && /opt/venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 klusmakelaar
COPY --from=build /opt/venv /opt/venv
WORKDIR /srv
COPY alembic.ini ./
COPY migrations ./migrations
COPY app ./app
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    KLUSMAKELAAR_HOST=0.0.0.0 \
    KLUSMAKELAAR_PORT=8000 \
    KLUSMAKELAAR_WORKERS=2
USER klusmakelaar
EXPOSE 8000
# Migrations first (safe to run from every container: Alembic takes a lock on PostgreSQL
# through its version table), then uvicorn with KLUSMAKELAAR_WORKERS processes.
CMD ["sh", "-c", "klusmakelaar migrate && exec klusmakelaar serve"]
