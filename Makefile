# commons — `make run` serves the app, `make test` runs the whole suite (SQLite, then PostgreSQL).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
FLASK := $(VENV)/bin/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
PYTEST_ARGS ?=
# pytest-xdist workers (one per core); each builds its own database. 0 runs in one process.
PYTEST_WORKERS ?= auto
PYTEST := $(PY) -m pytest -n $(PYTEST_WORKERS)

.PHONY: help install install-test run serve db-upgrade demo lint test test-sqlite test-postgres bench clean \
	bench-install bench-smoke bench-load bench-search

help:
	@echo "make run         installe, migre, charge la démo si la base est vide, sert sur http://$(HOST):$(PORT)"
	@echo "make test        installe ce qu'il faut aux tests et lance toute la suite (SQLite puis PostgreSQL)"
	@echo "make test-sqlite / make test-postgres   une seule des deux bases"

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed
	$(PIP) install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

db-upgrade: install
	$(FLASK) db upgrade

demo: db-upgrade
	$(FLASK) demo load

# Plain http on 127.0.0.1: COMMONS_ENV=development drops the Secure flag of the cookies, which a
# browser would otherwise never send back over http (sign-in would fail silently).
run: db-upgrade
	$(FLASK) demo load --if-empty
	COMMONS_ENV=development $(FLASK) run --host $(HOST) --port $(PORT)

serve: db-upgrade
	$(VENV)/bin/gunicorn --workers 4 --bind $(HOST):$(PORT) wsgi:app

test: lint test-sqlite test-postgres

lint: install-test
	$(VENV)/bin/ruff check commons tests bench

test-sqlite: install-test
	$(PYTEST) $(PYTEST_ARGS)

# Runs the same suite on PostgreSQL. Without a server it says so loudly; under CI it fails.
test-postgres: install-test
	@if $(PY) -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$(PG_TEST_URL)" 2>/dev/null; then \
		COMMONS_TEST_DATABASE_URL="$(PG_TEST_URL)" $(PYTEST) $(PYTEST_ARGS); \
	else \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		echo "!!! PostgreSQL injoignable ($(PG_TEST_URL)) : suite PostgreSQL NON JOUÉE"; \
		echo "!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!"; \
		if [ -n "$$CI" ]; then exit 1; fi; \
	fi

# Benchmarks (bench/README.md). ENTRIES may hold several sizes; BENCH_DB is sqlite, postgres or both.
ENTRIES ?= 20000
BENCH_DB ?= sqlite
BENCH_ARGS ?=
$(VENV)/.installed-bench: $(VENV)/.installed-test
	$(PIP) install -q -e '.[test,bench]'
	touch $@

bench-install: $(VENV)/.installed-bench

bench: bench-load bench-search

bench-load: bench-install
	$(PY) bench/load_bench.py --entries $(ENTRIES) --database $(BENCH_DB) $(BENCH_ARGS)

bench-search: bench-install
	$(PY) bench/search_bench.py --entries $(ENTRIES) --database $(BENCH_DB) $(BENCH_ARGS)

# Every bench script in smoke mode (seconds, tiny corpus) on SQLite, then on PostgreSQL when reachable:
# fails when a script breaks (HTTP 5xx, lost update, index not converged), never on a performance target.
bench-smoke: bench-install
	$(PY) bench/search_corpus.py --entries 200 --database sqlite:///$$(mktemp -d)/corpus.db
	$(PY) bench/load_bench.py --smoke --database sqlite
	$(PY) bench/search_bench.py --smoke --database sqlite
	@if $(PY) -c "import psycopg,sys; psycopg.connect(sys.argv[1], connect_timeout=3).close()" "$(PG_TEST_URL)" 2>/dev/null; then \
		BENCH_PG_URL="$(PG_TEST_URL)" $(PY) bench/load_bench.py --smoke --database postgres && \
		BENCH_PG_URL="$(PG_TEST_URL)" $(PY) bench/search_bench.py --smoke --database postgres; \
	else \
		echo "!!! PostgreSQL injoignable ($(PG_TEST_URL)) : bancs PostgreSQL NON JOUÉS"; \
	fi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
