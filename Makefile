# Thin wrappers; the logic lives in the perfstack CLI and scripts/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint check-config pytest generate bench clean

demo: $(STAMP)
	./scripts/install-system-deps.sh
	$(BIN)/perfstack demo

test: $(STAMP)
	./scripts/install-system-deps.sh --test
	$(MAKE) lint check-config pytest

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

check-config:
	promtool check config prometheus/prometheus.yml
	promtool check rules prometheus/rules/*.yml alerts/*.rules.yml
	promtool test rules tests/rules/*_test.yaml
	amtool check-config alerts/alertmanager.yml
	GRAFANA_ADMIN_PASSWORD=validation-only docker-compose -f docker-compose.yml config -q

# First, one at a time, the few tests marked `exclusive` (they compare wall-clock throughput
# or latency between phases of their own and need the machine to themselves); exit 5 (none
# selected, e.g. by PYTEST_ARGS) is fine there. Then the rest on three workers: most tests
# wait on real servers (scrape and push intervals, timed runs), not on the CPU; no more than
# three, so the CPU-bound moments of timed runs seldom meet. Groups and order of the tests:
# tests/fixtures/parallel.py. That run's exit 5 (no test collected) fails this target.
# Each phase lists its slowest tests, what to look at when the whole run nears its budget.
PYTEST_WORKERS ?= 3
pytest: $(STAMP)
	$(BIN)/pytest -m exclusive --durations=10 $(PYTEST_ARGS) || test $$? -eq 5
	$(BIN)/pytest -m "not exclusive" -n $(PYTEST_WORKERS) --dist loadgroup --no-loadscope-reorder --durations=20 $(PYTEST_ARGS)

generate: $(STAMP)
	$(BIN)/python -m perfstack.mixin
	$(BIN)/python -m perfstack.kubernetes

# bench/bench_*.py but bench_ws_common.py, which the WebSocket benches import
bench: $(STAMP)
	./scripts/install-system-deps.sh --bench
	for script in bench/bench_*.py; do \
		case $$script in *_common.py) continue ;; esac; \
		$(BIN)/python $$script || exit 1; \
	done

clean:
	rm -rf $(VENV) .perfstack .mypy_cache .ruff_cache .pytest_cache
