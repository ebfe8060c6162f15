# guanai: two commands on a fresh machine with only Python: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TSTAMP := $(VENV)/.installed-test

.PHONY: demo test bench lint links typecheck check schema docs clean render screenshots

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[web,postgres]'  # the CLI, the teachers' page, PostgreSQL
	touch $@

$(TSTAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install -q -e '.[test]'
	touch $@ $(STAMP)

demo: $(STAMP)
	@$(BIN)/guanai demo --db demo.db

test: $(TSTAMP)
	$(BIN)/python -m pytest -n auto

bench: $(TSTAMP)
	$(BIN)/python bench/check_programme.py
	$(BIN)/python bench/run.py

lint: $(TSTAMP) links
	$(BIN)/ruff check api core plugins testing tests bench
	PYTHONPATH=build/typecheck $(BIN)/lint-imports

# mypy and import-linter see the installed layout (guanai.core = core/ …) through links
links:
	@mkdir -p build/typecheck/guanai
	@ln -sfn ../../../core build/typecheck/guanai/core
	@ln -sfn ../../../plugins build/typecheck/guanai/plugins
	@ln -sfn ../../../api build/typecheck/guanai/api
	@ln -sfn ../../../testing build/typecheck/guanai/testing

typecheck: $(TSTAMP) links
	$(BIN)/mypy -p guanai.api -p guanai.core -p guanai.plugins -p guanai.testing

check: lint typecheck test

# the demo's documents rendered to PDF and PNG (LibreOffice, Chromium, pdftoppm), to look at
render: $(STAMP)
	bash docs/render.sh

# the teachers' page on a phone (headless Chromium, tests/attack/test_phone.py) as PNGs in docs/img/web/
screenshots: $(TSTAMP)
	GUANAI_TEST_PG=$${GUANAI_TEST_PG:-postgresql+psycopg://postgres@127.0.0.1:5432/test} \
	GUANAI_SCREENSHOTS=docs/img/web $(BIN)/python -m pytest -p no:cacheprovider tests/attack/test_phone.py

docs: $(STAMP)
	$(BIN)/python -c "from pathlib import Path; from guanai.core.apidoc import updated; p = Path('docs/plugins.md'); p.write_text(updated(p.read_text('utf-8')), 'utf-8')"

schema: $(STAMP)
	$(BIN)/guanai programme schema --builtin-only > schemas/programme.schema.json

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .hypothesis demo.db demo.db-wal demo.db-shm demo-总结.docx demo-台账.xlsx
