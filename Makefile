# Two commands matter: `make quiz` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: quiz test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

quiz: $(STAMP)
	$(BIN)/backprop-coach quiz

test: $(STAMP)
	$(BIN)/ruff check backprop_coach tests benchmarks
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python benchmarks/grading.py
	$(BIN)/python benchmarks/peers.py
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) build *.egg-info
