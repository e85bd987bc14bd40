# make run  - set everything up and serve the API on the embedded default (SQLite)
# make test - set everything up and run the whole suite (SQLite + PostgreSQL when reachable)
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install run test lint openapi key bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/hotline-intake serve --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check app tests bench migrations
	$(BIN)/mypy

openapi: install
	$(BIN)/hotline-intake openapi > openapi.yaml

key: install
	$(BIN)/hotline-intake keys create --role $(or $(ROLE),callcentre) --name "make key"

bench: install
	$(BIN)/python bench/geo.py
	$(BIN)/python bench/triage.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
