# Gongzhi: `make run` serves a demo district; `make test` runs the whole suite.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
export GONGZHI_VAR_DIR ?= $(CURDIR)/var
GONGZHI_TEST_PG_URL ?= postgresql://127.0.0.1:5432/test
export GONGZHI_TEST_PG_URL

.PHONY: run test test-sqlite test-pg install dev messages bench demo-city cluster clean

$(BIN)/activate:
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(BIN)/activate
	$(BIN)/pip install -q -e ".[dev]"
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
dev: $(VENV)/.dev-installed

run: install
	mkdir -p $(GONGZHI_VAR_DIR)
	$(BIN)/gongzhi migrate --noinput -v0
	$(BIN)/gongzhi demo --if-empty
	$(BIN)/gongzhi serve

# The code checks (ruff, import-linter, mypy against its baseline), then the suite: SQLite always,
# PostgreSQL too when reachable (required when GONGZHI_REQUIRE_PG=1, as on CI). Both always run.
test: dev
	$(BIN)/python scripts/check_code.py; checks=$$?; $(BIN)/python scripts/run_tests.py && exit $$checks

messages: dev
	cd src/gongzhi && ../../$(BIN)/gongzhi makemessages -l en --no-obsolete
	$(BIN)/python scripts/fill_po.py

bench: dev
	for b in bench/bench_*.py; do $(BIN)/python $$b || exit 1; done

demo-city: install
	$(BIN)/gongzhi migrate --noinput -v0
	$(BIN)/gongzhi demo --scale city

# A whole cluster on this machine under var/cluster/ (pg_auto_failover, PgBouncer, two web nodes, two
# workers, the scheduler, nginx): `gongzhi cluster status`, `gongzhi cluster down [--purge]`.
cluster: install
	$(BIN)/gongzhi cluster up

clean:
	rm -rf $(VENV) var .pytest_cache
