# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench-analyzer clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pruner analyze examples/reference/plugins
	$(BIN)/pruner analyze examples/ecommerce/plugins

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench-analyzer: $(STAMP)
	$(BIN)/python benchmarks/analyzer_speed.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
