# Two commands matter: `make quiz` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: quiz test lint bench clean

# -qq: errors only. The project's own packaging builds without warnings (tests/test_bank.py);
# what -q would still show is setuptools' notice on how editable installs work.
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "installing backprop-coach and its dependencies into $(VENV) (first run only, about a minute)"
	@$(BIN)/python -m pip install -qq --upgrade pip
	@$(BIN)/python -m pip install -qq -e '.[test]'
	@touch $(STAMP)
	@echo "installed"

quiz: $(STAMP)
	$(BIN)/backprop-coach quiz

# pytest -n auto: one worker per core (pytest-xdist); every test is independent of the others
test: $(STAMP)
	$(BIN)/ruff check backprop_coach tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -n auto

bench: $(STAMP)
	$(BIN)/python benchmarks/grading.py
	$(BIN)/python benchmarks/peers.py
	$(BIN)/python benchmarks/engine.py
	$(BIN)/python benchmarks/startup.py

clean:
	rm -rf $(VENV) build *.egg-info
