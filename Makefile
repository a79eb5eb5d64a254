# Everything a fresh machine needs: Python 3.11+, pip and make.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
LOCALES_DIR := locales
PO_FILES := $(wildcard $(LOCALES_DIR)/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test fuzz lint bench locales-extract locales-update locales-compile migrate seed clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

%.mo: %.po $(STAMP)
	$(VENV)/bin/pybabel -q compile -d $(LOCALES_DIR) -D messages -l $(word 2,$(subst /, ,$<))

locales-compile: $(MO_FILES)

## Run the bot: long polling with BOT_TOKEN set, a console chat without it.
run: $(STAMP) locales-compile
	$(PY) -m bot

## Run the whole test suite.
test: $(STAMP) locales-compile
	$(PY) -m pytest

## Fuzz the dispatcher at length: 10,000 generated updates per property (about an hour).
## HYPOTHESIS_PROFILE=fuzz-ci make fuzz runs the short version that make test runs.
fuzz: HYPOTHESIS_PROFILE ?= fuzz-long
fuzz: $(STAMP) locales-compile
	HYPOTHESIS_PROFILE=$(HYPOTHESIS_PROFILE) $(PY) -m pytest tests/test_fuzz_dispatcher.py \
		--hypothesis-show-statistics

## Style and types: ruff, then mypy over bot/ (settings in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: $(STAMP) locales-compile
	$(PY) -m bench

migrate: $(STAMP)
	$(PY) -m bot migrate

seed: $(STAMP)
	$(PY) -m bot seed --reload

## Translation workflow: extract -> update -> (translate the .po files) -> compile.
locales-extract: $(STAMP)
	$(VENV)/bin/pybabel extract --no-location --sort-output -k __ -k _n:1,2 -k ngettext:1,2 \
		-o $(LOCALES_DIR)/messages.pot bot

locales-update: locales-extract
	$(VENV)/bin/pybabel update --no-fuzzy-matching --ignore-obsolete \
		-i $(LOCALES_DIR)/messages.pot -d $(LOCALES_DIR) -D messages

clean:
	rm -rf $(VENV) $(MO_FILES)
