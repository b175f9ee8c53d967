# quitus — `make demo` and `make test` set everything up themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO_DIR ?= demo-output
DEMO_REPORTS ?= 40

.PHONY: install lock system-deps demo test lint typecheck pytest bench clean

install: $(STAMP)

# poppler-utils (pdfsig, pdftotext) and libnss3-tools (certutil): the independent PDF
# checker the tests use, and the NSS database that makes it trust the company CA;
# chromium: the browser the web-page tests drive (Playwright, Debian's build); jq: what
# docs/day-of-operations.sh reads quitus's --json with.
system-deps:
	@command -v pdfsig >/dev/null && command -v pdftotext >/dev/null && command -v certutil >/dev/null && \
	  command -v jq >/dev/null && test -x /usr/bin/chromium || \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq poppler-utils libnss3-tools chromium jq; }

# Every dependency at the version requirements.lock pins (all of them, transitive ones
# included: --no-deps installs exactly that list, nothing resolved anew), then quitus itself.
# `make lock` updates the lock: docs/operations.md, "Updating dependencies".
$(STAMP): pyproject.toml requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

# Re-resolve requirements.lock from pyproject.toml: the versions already locked are kept when
# they still fit (UPGRADE=1: the newest that fit; UPGRADE_PACKAGE=name: that one only).
# requirements-overrides.txt lifts a dependency's upper bound quitus knows to be too tight.
lock: install
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 \
	  --override requirements-overrides.txt --custom-compile-command 'make lock' \
	  $(if $(UPGRADE),--upgrade) $(if $(UPGRADE_PACKAGE),--upgrade-package $(UPGRADE_PACKAGE)) \
	  -o requirements.lock

demo: install
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	QUITUS_HOME=$(CURDIR)/$(DEMO_DIR)/home $(BIN)/quitus demo --reports $(DEMO_REPORTS) --output $(DEMO_DIR)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# worksteal: a worker that runs out of tests takes half of the other's queue (with the default
# "load" the queue handed out early stays with its worker, and one worker ends alone for minutes).
pytest: install system-deps
	$(BIN)/pytest -n 2 --dist worksteal

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/capture.py
	$(BIN)/python bench/capture_http.py
	$(BIN)/python bench/pii_eval.py
	$(BIN)/python bench/pdf.py
	$(BIN)/python bench/ledger.py
	$(BIN)/python bench/retention.py
	$(BIN)/python bench/intake.py

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache
