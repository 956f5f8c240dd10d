# Minér'Alès: a newcomer needs two commands, `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app wsgi
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Test processes (pytest-xdist): one per logical CPU by default; TEST_WORKERS=0 runs in one process.
TEST_WORKERS ?= logical

.PHONY: run test install assets translations extract db lint format bench screenshots clean

run: db ## Set everything up and serve the app on http://127.0.0.1:5000 (SQLite)
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install ## Set everything up and run every test
	$(BIN)/pytest -n $(TEST_WORKERS) --durations=20

install: $(VENV)/.installed assets translations ## Virtualenv, Python packages, front-end files, catalogues

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

# htmx comes from the npm registry (pinned in package-lock.json), never from the repo.
assets: static/vendor/htmx.min.js static/vendor/jsQR.js

# npm ci installs the dev dependencies as well: axe-core and vnu-jar, which the tests use.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

static/vendor/htmx.min.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js $@

# The door tablet's camera falls back to jsQR where the browser has no BarcodeDetector.
static/vendor/jsQR.js: node_modules/.installed
	mkdir -p static/vendor
	cp node_modules/jsqr/dist/jsQR.js $@

# Catalogues are compiled by the install, never committed as binaries.
translations: $(patsubst %.po,%.mo,$(wildcard translations/*/LC_MESSAGES/messages.po))

translations/%/LC_MESSAGES/messages.mo: translations/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile -d translations -l $*

extract: install ## Refresh translations/messages.pot and the catalogues from the code
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k N_ -k NP_:1,2 -o translations/messages.pot .
	$(BIN)/pybabel update --ignore-obsolete -i translations/messages.pot -d translations

db: install ## Apply the migrations and load the demo programme
	$(FLASK) db upgrade
	$(FLASK) seed-demo

lint: install ## ruff lint and format check, mypy type check of app/
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install ## Ticket rush on SQLite and PostgreSQL (gunicorn, 4 workers)
	$(BIN)/python bench/ticket_rush.py

clean:
	rm -rf $(VENV) node_modules static/vendor .pytest_cache .ruff_cache .mypy_cache
