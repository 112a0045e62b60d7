# paperkg: `make serve` runs the API on a knowledge base built from seeds/; `make test` runs every check.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
PAPERKG_DATA ?= data
export PAPERKG_DATA
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: install browser proxy serve test lint fast-test bench openapi clean

install: $(STAMP)

# The browser tests drive Debian's headless Chromium (Playwright never downloads a browser of its own).
browser:
	@command -v chromium >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# tests/test_replicas.py runs deploy/nginx.conf (the replica deployment's proxy) in front of real processes.
proxy:
	@command -v nginx >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light; }

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,ray]'
	@# the sqlite3 shell is one of the readers of `bench/kill_test.py --readers` (Python's sqlite3 stands in for it)
	command -v sqlite3 >/dev/null || { apt-get update -qq && apt-get install -y -qq sqlite3; } >/dev/null 2>&1 || \
		echo "no sqlite3 shell: the reader kill test reads through Python's sqlite3 module instead"
	touch $(STAMP)

serve: install
	$(BIN)/paperkg serve --data "$(PAPERKG_DATA)" --host "$(HOST)" --port "$(PORT)"

lint: install
	$(BIN)/ruff check paperkg graph embeddings api tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/hadolint Dockerfile

test: install browser proxy lint
	$(BIN)/python -m pytest -q

fast-test: install
	$(BIN)/python -m pytest -q -m "not model and not slow"

bench: install
	$(BIN)/python bench/extraction_quality.py
	$(BIN)/python bench/search_quality.py
	$(BIN)/python bench/web_speed.py

openapi: install
	$(BIN)/python -m paperkg.api.openapi > api/openapi.json

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
