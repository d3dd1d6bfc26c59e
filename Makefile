# The two commands: `make up` (the local stack and the services) and `make test`.
SHELL := /bin/bash
export UV_PYTHON_DOWNLOADS := never
export PYTHONDONTWRITEBYTECODE := 1
export XDG_RUNTIME_DIR ?= /tmp
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")
RUN := $(UV) run --frozen
BAPAS := $(RUN) bapas
# `make up KAFKA_NODES=3`: a three-node Kafka cluster (127.0.0.1:9192,9194,9196) instead
# of the single node on 9092. The ports are settings: POKMAS_PORT, ENROLMENT_PORT,
# NOTIFICATIONS_PORT, INSIGHTS_PORT, NOTIFICATIONS_SMTP_PORT, BAPAS_KAFKA_PORT and
# BAPAS_POSTGRES_PORT, read by `make up`, `make demo` and the services alike.
KAFKA_NODES ?= 1

.PHONY: env up down status demo test lint format tools browser

tools:
	@command -v uv >/dev/null 2>&1 || python3 -m uv --version >/dev/null 2>&1 || \
		{ echo "installing uv with pip"; python3 -m pip install --quiet uv; }
	@command -v java >/dev/null 2>&1 || { echo "error: Java 17+ is required for Kafka (no 'java' on PATH)"; exit 1; }
	@command -v mvn >/dev/null 2>&1 || test -n "$$(ls infra/kafka/lib/kafka_2.13-*.jar 2>/dev/null)" || \
		{ echo "error: Maven is required once to fetch Kafka's jars (no 'mvn' on PATH)"; exit 1; }

env: tools
	@$(UV) sync --frozen --quiet

up: env
	@$(BAPAS) stack up --kafka-nodes $(KAFKA_NODES) --with-services
	@echo
	@echo "Development token (bapas_officer of Bapas Balikpapan, valid 12 hours):"
	@$(BAPAS) token --role bapas_officer --bapas balikpapan
	@echo
	@echo "The insights dashboard, signed in as the ministry (development sign-in link):"
	@$(BAPAS) token --role ministry --dashboard

down: env
	@$(BAPAS) stack down

status: env
	@$(BAPAS) stack status

demo: env
	@$(BAPAS) demo

lint: env
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

format: env
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

# The dashboard's test drives Debian's Chromium through its chromedriver (never a
# browser or driver downloaded at run time).
browser:
	@command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1 || \
		{ echo "installing chromium and chromium-driver with apt"; \
		  apt-get update -qq >/dev/null && apt-get install -y -qq chromium chromium-driver >/dev/null; } || \
		{ echo "error: the dashboard test needs Debian's chromium and chromium-driver packages"; exit 1; }

test: lint browser
	$(RUN) pytest

# The benchmark (B1-B7) on a stack of its own; results in bench/results/.
# wrk drives B2: installed with apt when missing, else B2 says it used a Python client.
bench: env
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1; } || \
		echo "wrk could not be installed: B2 falls back to a Python client"
	$(RUN) python -m bench --profile full

bench-quick: env
	@command -v wrk >/dev/null 2>&1 || apt-get install -y -qq wrk >/dev/null 2>&1 || \
		{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1; } || \
		echo "wrk could not be installed: B2 falls back to a Python client"
	$(RUN) python -m bench --profile quick
