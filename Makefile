# Two commands do all set-up on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test bench-analyzer bench-compile clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/pruner analyze examples/ecommerce/plugins examples/reference/plugins
	$(BIN)/pruner compile examples/reference/job.yaml
	$(BIN)/pruner compile examples/ecommerce/job.yaml
	@echo; echo "== the four reference decisions of DESIGN.md =="
	$(BIN)/pruner explain compiled_plans/reference.plan --source items --changed a
	$(BIN)/pruner explain compiled_plans/reference.plan --source items --changed b
	$(BIN)/pruner explain compiled_plans/reference.plan --source sellers --changed c
	$(BIN)/pruner explain compiled_plans/reference.plan --source items --changed f
	@echo; echo "== an inventory update on the ecommerce job =="
	$(BIN)/pruner explain compiled_plans/ecommerce.plan --source items --changed inventory

test: $(STAMP)
	$(BIN)/python -m pytest -q

bench-analyzer: $(STAMP)
	$(BIN)/python benchmarks/analyzer_speed.py

bench-compile: $(STAMP)
	$(BIN)/python benchmarks/compile_scaling.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
