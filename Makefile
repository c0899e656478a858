# factpack — `make build` then `make test` on a fresh clone. `make` lists the targets.
PY      := .venv/bin/python
UV      := .venv/bin/uv
export PYTHONHASHSEED := 0

.DEFAULT_GOAL := help
.PHONY: help build validate test system lint bench publish clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@test -x $(UV) || (python3 -m venv .venv && .venv/bin/pip install -q uv==0.13.8)
	$(UV) sync --frozen --all-extras --quiet --compile-bytecode
	@touch $@

build: .venv/.synced ## create .venv if missing, validate and build every dataset, publish build/site/
	$(PY) -m factpack validate --release
	$(PY) -m factpack build
	$(PY) -m factpack publish

validate: .venv/.synced ## validate every dataset
	$(PY) -m factpack validate

system: ## install the system packages the tests need (Chromium, sqlite3, R) where missing
	@for step in .ci/install-*.sh; do bash "$$step" >/dev/null || { \
	  echo "make test: $$step could not install what the tests need; run it as root (or with sudo), or install its packages"; \
	  exit 1; }; done

test: .venv/.synced system ## install what the tests need if missing, run them, check every release rebuilds to its ledger bytes
	$(PY) -m pytest -q
	$(PY) -m factpack publish --check

bench: .venv/.synced ## benchmark factpack against frictionless-py, each table form against the plain CSV, the S3 store against a folder (not part of test; long)
	$(PY) bench/run.py
	$(PY) bench/forms.py
	$(PY) bench/s3.py

lint: .venv/.synced ## ruff
	.venv/bin/ruff check src tests

clean: ## remove build outputs
	rm -rf build
