# Set-up is part of every target: .venv/ is created on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench

$(BIN)/platereader: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.train-extras: $(BIN)/platereader
	$(BIN)/pip install --quiet -e '.[train,dev]'
	touch $@

demo: $(BIN)/platereader
	$(BIN)/platereader read examples/scenes/
	$(BIN)/platereader read --crop examples/crops/

test: $(VENV)/.train-extras
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/pytest -q

bench: $(VENV)/.train-extras
	$(BIN)/python benchmarks/recognizer.py
	$(BIN)/python benchmarks/pipeline.py
	$(BIN)/python benchmarks/synth_throughput.py
