# Task runner: the README and .ci/run use these targets.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test lint format bench install clean-db

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

install: $(STAMP)

## Start the app on demo data (SQLite under var/, created and loaded on first run).
run: $(STAMP)
	$(BIN)/python -m planner load-demo
	$(BIN)/python -m streamlit run app.py --server.address 127.0.0.1 --server.port 8501

## Lint, then the whole suite: SQLite, plus PostgreSQL when PLANNER_TEST_DATABASE_URL is set,
## plus the browser tests when Chromium is installed.
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest -n 2 --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

format: $(STAMP)
	$(BIN)/ruff format .

## Benchmarks at 1,000 / 10,000 / 50,000 posts; writes benchmarks/results.md.
bench: $(STAMP)
	$(BIN)/python -m benchmarks.run

clean-db:
	rm -f var/planner.db var/planner.db-wal var/planner.db-shm
