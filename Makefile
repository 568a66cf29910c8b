# Task runner: the README and .ci/run use these targets.
#   make run [PORT=8501]   the app on demo data (runtime requirements only)
#   make test              lint and the whole suite (adds the test tools)
PYTHON ?= python3
PORT   ?= 8501
VENV   := .venv
BIN    := $(VENV)/bin
# One stamp per requirements file: `make run` after `make test` installs nothing, and
# `make test` after `make run` installs only the test tools.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=

.PHONY: run test lint format bench install install-dev clean-db

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(RUN_STAMP)

$(DEV_STAMP): requirements-dev.txt $(RUN_STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(DEV_STAMP)

install: $(RUN_STAMP)

install-dev: $(DEV_STAMP)

## Start the app on demo data (SQLite under var/, created and loaded on first run), print the
## demo sign-ins, and serve on http://127.0.0.1:$(PORT).
run: $(RUN_STAMP)
	$(BIN)/python -m planner load-demo
	@echo "Starting the app on http://127.0.0.1:$(PORT) (Ctrl+C stops it)."
	$(BIN)/python -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT)

## Lint, then the whole suite: SQLite, plus PostgreSQL when PLANNER_TEST_DATABASE_URL is set,
## plus the browser tests when Chromium is installed.
test: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .

format: $(DEV_STAMP)
	$(BIN)/ruff format .

## Benchmarks at 1,000 / 10,000 / 50,000 posts; writes benchmarks/results.md. The browser
## benchmark drives Debian's chromium (PLANNER_CHROMIUM_PATH) through every page.
bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks.run
	$(BIN)/python -m benchmarks.browser

clean-db:
	rm -f var/planner.db var/planner.db-wal var/planner.db-shm
