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

bench: setup
	$(PYTHON) benchmarks/room_scaling.py
	@for b in benchmarks/cavity_modes.py benchmarks/network.py benchmarks/walls_frequency.py; do \
		if [ -f $$b ]; then $(PYTHON) $$b || exit 1; fi; done

clean:
	rm -rf amails_out .pytest_cache
