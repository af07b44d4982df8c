# Two commands for a fresh machine with Python 3.11 and make:
#   make preview   virtualenv + install + offline preview of the dev stack
#   make test      virtualenv + install + the test suite
PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python
STACK ?= dev

.PHONY: preview test install bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed

preview: install
	$(PY) -m offline preview --stack $(STACK)

test: install
	$(PY) -m pytest

bench: install
	$(PY) -m offline bench

clean:
	rm -rf $(VENV)
