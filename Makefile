# Two commands for a fresh machine with Python 3.11 and make:
#   make preview   virtualenv + install + offline preview of the dev stack
#   make test      virtualenv + install + the test suite
# and for CI (.ci/run, .github/workflows):
#   make lint      workflow schema + zizmor, ruff (whole repository) and mypy (tools from requirements-dev.txt)
PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: preview test install install-dev lint bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

$(VENV)/.installed-dev: requirements-dev.txt $(VENV)/.installed
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

install-dev: $(VENV)/.installed-dev

# ruff lints the whole repository (tests included); mypy the program, the engine, the pack and the functions
LINT_PATHS := $(wildcard components offline policy functions) __main__.py

lint: install-dev
	$(VENV)/bin/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
	$(VENV)/bin/zizmor --offline --no-progress --min-severity medium .github/workflows
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy $(LINT_PATHS)

preview: install
	$(PY) -m offline preview --stack $(STACK)

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m offline bench

clean:
	rm -rf $(VENV)
