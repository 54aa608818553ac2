# The README's two commands: `make run` (set up + default job) and `make test` (set up + tests).
PYTHON ?= python3
PIP := $(PYTHON) -m pip

.PHONY: setup run test bench clean

setup:
	$(PIP) install --quiet --disable-pip-version-check -e ".[test]"

run: setup
	amails-fem run --out amails_out

test: setup
	$(PYTHON) -m pytest -q --durations=15 tests

BENCHMARKS := room_validation room_scaling walls_frequency network cavity_modes

bench: setup
	@for b in $(BENCHMARKS); do echo "== benchmarks/$$b.py"; $(PYTHON) benchmarks/$$b.py || exit 1; done

clean:
	rm -rf amails_out .pytest_cache
