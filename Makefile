# inkrepro: `make reproduce` (the main job) and `make test`. Both build .venv from the lock file.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PROFILE ?= laptop
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: venv sysdeps test reproduce bench lint ui server clean-results help

help:
	@echo "make reproduce   run the laptop profile of every sweep and build every table/figure"
	@echo "make test        run the test suite"
	@echo "make bench       run benchmarks/ (writes results/benchmarks.md)"
	@echo "make ui          MLflow UI on 127.0.0.1:5000 over runs/mlflow.db"
	@echo "make lint        ruff"

# Bytecode is compiled once, at install: where PYTHONDONTWRITEBYTECODE is set (CI images), every
# process (each test's subprocesses) would otherwise recompile jax, flax, orbax, mlflow: ~8 s each.
$(STAMP): requirements.lock pyproject.toml
	@command -v uv >/dev/null 2>&1 || $(PYTHON) -m pip install -q uv==0.13.8
	@test -x $(PY) || uv venv --seed -q -p $(PYTHON) $(VENV)
	uv pip install -q -p $(PY) -r requirements.lock
	uv pip install -q -p $(PY) --no-deps -e .
	$(PY) -m compileall -q -j 0 $(VENV)/lib >/dev/null
	@touch $@

venv: $(STAMP)

# System packages: Tesseract (the independent reader and page word boxes), fonts, Chromium
# with its driver (the derender web page's headless-browser test) and PostgreSQL (the
# tracking-server test). Installed when missing and
# when we can (root with apt-get); otherwise the Tesseract tests skip with a clear message.
sysdeps:
	@if ! command -v tesseract >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing tesseract-ocr (apt-get)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-eng >/dev/null) \
	      || echo "warning: could not install tesseract-ocr; Tesseract steps will be skipped"; \
	  else echo "note: tesseract not found and not root; install tesseract-ocr for the independent reader"; fi; \
	fi
	@if ! command -v initdb >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing postgresql (apt-get; the tracking-server test)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	      || echo "warning: could not install postgresql; the tracking-server test will be skipped"; \
	  else echo "note: PostgreSQL not found and not root; the tracking-server test will be skipped"; fi; \
	fi
	@if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium + chromium-driver (apt-get; the web page's browser test)"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null) \
	      || echo "warning: could not install chromium; the browser test will be skipped"; \
	  else echo "note: chromium/chromedriver not found and not root; the browser test will be skipped"; fi; \
	fi

test: venv sysdeps
	$(PY) -m pytest $(PYTEST_ARGS)

reproduce: venv sysdeps
	$(VENV)/bin/inkrepro reproduce --profile $(PROFILE)

# Every benchmark but gpu_check.py, which needs a GPU (benchmarks/gpu_check.sh runs it there).
bench: venv
	@for f in benchmarks/[a-z]*.py; do [ $$f = benchmarks/gpu_check.py ] && continue; \
	  echo "== $$f"; $(PY) $$f || exit 1; done

lint: venv
	$(VENV)/bin/ruff check lib tests benchmarks

# The shared tracking server: PostgreSQL store + artifacts on a bucket (see README "Running at scale").
# make server DB=postgresql://mlflow:PW@HOST:5432/mlflow ARTIFACTS=gs://BUCKET/mlflow [HOST=0.0.0.0]
server: venv
	$(VENV)/bin/inkrepro server --backend-store-uri "$(DB)" --artifacts-destination "$(ARTIFACTS)" --host $(or $(HOST),127.0.0.1)

ui: venv
	MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true $(VENV)/bin/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/runs/mlflow.db --host 127.0.0.1 --port 5000 --workers 1
