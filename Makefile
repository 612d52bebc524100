# Two commands matter: `make quiz` and `make test`. Both build .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: quiz test lint bench clean graphs

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

# The pictures README.md links (need Graphviz's dot). A wrong claim exits 1 by design: that is
# the picture with the mistake marked, so 1 is accepted here and anything else fails.
graphs: $(STAMP)
	$(BIN)/backprop-coach graph --loss '(a - y)^2/2' --let 'z=w*x+b' --let 'a=sigmoid(z)' \
		--wrt w --at w=0.5 --at x=1 --at b=0 --at y=0 --claim '(a - y)*x' \
		-o docs/graph-neuron-mistake.svg; test $$? -le 1
	$(BIN)/backprop-coach graph --loss '(u*v - y)^2' --let 'u=x*x' --let 'v=sigmoid(x)+u' \
		--wrt x --at x=1 --at y=0.5 -o docs/graph-used-twice.svg
	$(BIN)/backprop-coach trace --layers 2,2,2 --seed 7 --steps forward --graph-units \
		--graph-file docs/graph-222-units.svg > /dev/null

clean:
	rm -rf $(VENV) build *.egg-info
