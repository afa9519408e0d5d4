# The two commands in the README: `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test lint typecheck pytest reliability bench serve clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed  ## set up and run the demo (embedded SQLite, no Slack/Teams needed)
	$(BIN)/accountbot demo

test: lint typecheck pytest  ## set up and run the whole test suite

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(VENV)/.installed
	$(BIN)/mypy

pytest: $(VENV)/.installed
	$(BIN)/pytest -q -n auto --dist loadscope

reliability: $(VENV)/.installed  ## faults, forgeries and generated hostile input, with figures
	RELIABILITY_EXAMPLES=$${RELIABILITY_EXAMPLES:-200} $(BIN)/pytest -q -n auto --dist loadscope tests/reliability

bench: $(VENV)/.installed  ## ratios, then the scale figures into README.md (BENCH_SCALE_ARGS=--quick to try)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.import_speed
	$(BIN)/python -m bench.scale --write-readme $(BENCH_SCALE_ARGS)

serve: $(VENV)/.installed
	$(BIN)/accountbot serve

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache accountbot-demo.db*
