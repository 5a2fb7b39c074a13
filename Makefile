# The one way in: `make run` starts the demo, `make test` runs the whole suite.
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Exact versions of everything installed, from both pyproject files; `make lock` remakes it.
LOCK := requirements.lock
# axe-core for the browser tests, pinned by tests/e2e/package-lock.json.
AXE := tests/e2e/node_modules/axe-core/axe.min.js

.PHONY: run test coverage fuzz lint lock bench proto fmt clean

# The locked versions, then the service and the Xero emulator (a distribution of its own,
# emulator/) side by side without resolving anything again.
$(STAMP): pyproject.toml emulator/pyproject.toml $(LOCK)
	python3 -m venv $(VENV)
	$(BIN)/pip install -q "$$(grep '^pip==' $(LOCK))"
	$(BIN)/pip install -q -r $(LOCK)
	$(BIN)/pip install -q --no-deps --no-build-isolation -e ./emulator -e .
	touch $(STAMP)

# UPGRADE=1 moves every pin to the newest version the pyproject files allow.
lock: $(STAMP)
	$(BIN)/pip-compile --quiet --extra dev --strip-extras --allow-unsafe $(if $(UPGRADE),--upgrade) \
	  --no-emit-index-url --no-emit-find-links --no-emit-trusted-host \
	  --output-file $(LOCK) pyproject.toml emulator/pyproject.toml

run: $(STAMP)
	$(BIN)/ledger-connect serve

$(AXE): tests/e2e/package.json tests/e2e/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error && touch $(AXE); \
	else echo "npm is missing: the browser tests' accessibility audit will not run"; fi

# Property tests run derandomized here (the `ci` profile, tests/conftest.py): the same examples
# every run. `make fuzz` is the random search, new examples each run.
# `make test COVERAGE=1` (what CI runs) adds line coverage of domain/, adapters/ and app/;
# the README shows the figure and the details go to var/coverage.json.
COVERAGE_ARGS := --cov --cov-report=term:skip-covered --cov-report=json:var/coverage.json
test: $(STAMP) $(AXE)
	HYPOTHESIS_PROFILE=ci $(PY) -m pytest $(if $(COVERAGE),$(COVERAGE_ARGS))

fuzz: $(STAMP)
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -m hypothesis

# The whole suite as `make test` runs it, with line coverage.
coverage:
	$(MAKE) test COVERAGE=1

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture
	$(BIN)/buf lint
	$(BIN)/buf format --diff --exit-code
	$(PY) tools/gen_proto.py --check
	$(PY) tools/buf_breaking.py --buf $(BIN)/buf
	$(PY) tools/check_lock.py

bench: $(STAMP)
	$(PY) -m bench.run

proto: $(STAMP)
	$(PY) tools/gen_proto.py

fmt: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache tests/e2e/node_modules
