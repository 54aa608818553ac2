# The README's two commands: `make run` (set up + default job) and `make test` (set up + tests).
# Both create and use a project virtual environment (.venv) and run this checkout's own code from it.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup run test bench clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(PY) -m amails_fem run --out amails_out

test: setup
	$(PY) -m pytest -q --durations=15 tests

BENCHMARKS := room_validation room_scaling cg_bandwidth compare_ngsolve walls_frequency shield_transfer network cavity_modes

bench: setup
	@for b in $(BENCHMARKS); do echo "== benchmarks/$$b.py"; $(PY) benchmarks/$$b.py || exit 1; done
	@echo "== benchmarks/cavity_modes.py --levers"; $(PY) benchmarks/cavity_modes.py --levers
	@echo "== summary"; $(PY) benchmarks/summary.py

clean:
	rm -rf amails_out .pytest_cache $(VENV)
