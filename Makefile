PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DOCS_STAMP := $(VENV)/.docs-installed

# The interpreter's version and real path. The stamp records them, so that
# `make test PYTHON=python3.9` rebuilds a venv that another interpreter made.
PYTHON_ID := $(shell $(PYTHON) -c 'import sys; print(sys.version.split()[0], sys.executable)' 2>/dev/null)
ifneq ($(shell cat $(STAMP) 2>/dev/null),$(PYTHON_ID))
$(STAMP): FORCE
endif

# The genuine replicate 1.0.7, the oracle of tests/parity, on the same interpreter (so that
# Python's own messages match). Offline, it is not built and the parity tests skip saying so;
# the next `make test` tries again.
V0_VENV ?= .venv-v0
V0_STAMP := $(V0_VENV)/.installed
ifneq ($(shell cat $(V0_STAMP) 2>/dev/null),$(PYTHON_ID))
$(V0_STAMP): FORCE
endif

.PHONY: venv venv-v0 test lint demo bench bench-quick docs docs-serve dist clean FORCE

venv: $(STAMP)

$(STAMP): pyproject.toml requirements-dev.txt
	@test -n "$(PYTHON_ID)" || { echo "$(PYTHON): no such Python interpreter" >&2; exit 1; }
	@if [ -d $(VENV) ] && [ "$$(cat $(STAMP) 2>/dev/null)" != "$(PYTHON_ID)" ]; then \
		echo "$(VENV) was not made by Python $(PYTHON_ID): rebuilding it"; rm -rf $(VENV); fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[emulator]" -r requirements-dev.txt
	echo "$(PYTHON_ID)" > $(STAMP)

$(DOCS_STAMP): $(STAMP) requirements-docs.txt
	$(BIN)/python -m pip install --quiet -r requirements-docs.txt
	touch $(DOCS_STAMP)

venv-v0: $(V0_STAMP)

$(V0_STAMP):
	@rm -rf $(V0_VENV)
	@$(PYTHON) -m venv $(V0_VENV) \
	  && $(V0_VENV)/bin/python -m pip install --quiet --retries 1 --timeout 15 "replicate==1.0.7" \
	  && echo "$(PYTHON_ID)" > $(V0_STAMP) \
	  || (rm -rf $(V0_VENV); echo "warning: the v0 venv could not be built (registry unreachable?): the parity tests will skip")

test: venv venv-v0
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

lint: venv
	$(BIN)/ruff check replicate tests examples
	$(BIN)/mypy
	$(BIN)/pyright --pythonpath $(BIN)/python
	$(BIN)/python scripts/check_type_completeness.py 95

demo: venv
	$(BIN)/python -m replicate.emulator --port 0 -- $(BIN)/python examples/quickstart.py
	@echo; echo '== command line: replicate run replicate/hello-world text=world =='
	$(BIN)/replicate emulator --port 0 -- $(BIN)/replicate run replicate/hello-world text=world

bench: venv
	$(BIN)/python benchmarks/run.py

bench-quick: venv
	$(BIN)/python benchmarks/run.py --quick

# The documentation site, built into site/; --strict turns every warning (a broken link,
# a page missing from the nav, a docstring reference that does not resolve) into an error.
docs: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --clean --site-dir site

docs-serve: $(DOCS_STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

# An sdist and a wheel in dist/, checked by twine.
dist: $(DOCS_STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist
	$(BIN)/twine check --strict dist/*

clean:
	rm -rf $(VENV) $(V0_VENV) .pytest_cache .mypy_cache .ruff_cache site dist
