# caiji: the two set-up commands are `make run` and `make test` (see README.md).
SHELL := /bin/bash
PYTHON ?= python3
UV_VERSION := 0.13.8
TOOLS := .tools
UV := $(TOOLS)/bin/uv
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)

# mypy runs on the typed core (STYLE.md: strict on services, workflow, excel and validation).
MYPY_STRICT := collection/schema.py collection/specdiff.py collection/excel collection/validation \
	review/workflow accounts/services.py accounts/audit.py

.PHONY: run test lint bench messages messages-check venv clean browser-deps

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

$(VENV)/.synced: $(UV) uv.lock pyproject.toml
	$(UV) sync --frozen --python $(PYTHON) --quiet
	touch $@

venv: $(VENV)/.synced

run: venv
	DEBUG=1 $(PY) manage.py migrate --noinput -v0
	DEBUG=1 $(PY) manage.py seed_demo --if-empty
	@echo ""
	@echo "caiji is running at http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT) --skip-checks

test: venv lint browser-deps
	$(PY) -m pytest

# Debian's Chromium and CJK fonts for tests/browser (installed here when root with apt-get).
browser-deps:
	@sh scripts/browser_deps.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy $(MYPY_STRICT)
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run -v0

BENCHES := bench/upload.py bench/dashboard.py bench/export.py bench/templatepack.py

bench: venv
	@for b in $(BENCHES); do echo "== $$b"; $(PY) $$b || exit 1; done

messages: venv
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --no-obsolete --no-location --ignore=.venv --ignore=.tools --ignore=var
	DEBUG=1 $(PY) manage.py compilemessages --ignore=.venv --ignore=.tools

# Fails when a UI string is missing from locale/ (needs GNU gettext, which .ci/run installs).
messages-check: venv
	DEBUG=1 $(PY) -m scripts.check_messages

clean:
	rm -rf $(VENV) $(TOOLS) var
