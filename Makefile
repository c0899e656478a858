# factpack — `make build` then `make test` on a fresh clone. `make` lists the targets.
PY      := .venv/bin/python
UV      := .venv/bin/uv
export PYTHONHASHSEED := 0

.DEFAULT_GOAL := help
.PHONY: help build validate test lint bench publish clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

.venv/.synced: pyproject.toml uv.lock
	@test -x $(UV) || (python3 -m venv .venv && .venv/bin/pip install -q uv==0.13.8)
	$(UV) sync --frozen --all-extras --quiet
	@touch $@

build: .venv/.synced ## create .venv if missing, validate and build every dataset, publish build/site/
	$(PY) -m factpack validate --release
	$(PY) -m factpack build
	$(PY) -m factpack publish

validate: .venv/.synced ## validate every dataset
	$(PY) -m factpack validate

test: .venv/.synced ## run the test suite, then check every release rebuilds to its ledger bytes
	$(PY) -m pytest -q
	$(PY) -m factpack publish --check

bench: .venv/.synced ## benchmark factpack against frictionless-py (not part of test; minutes)
	$(PY) bench/run.py

lint: .venv/.synced ## ruff
	.venv/bin/ruff check src tests

clean: ## remove build outputs
	rm -rf build
