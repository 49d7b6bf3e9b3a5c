"""A small pytest-benchmark suite to try `pytest --perfstack` on (docs/pytest.md):

    perfstack up
    pytest examples/benchmarks -m performance --perfstack --benchmark-json=bench.json
    perfstack gate check --rules gate/presets/seed004-benchmarks.yaml --var health=test_parse_json

The benchmarks measure the standard library only, so the suite runs anywhere; replace the
functions with calls into your own application.
"""

from __future__ import annotations

import json
import time

import pytest

DOCUMENT = {"users": [{"id": i, "name": f"user-{i}", "roles": ["a", "b"]} for i in range(200)]}
TEXT = json.dumps(DOCUMENT)


@pytest.mark.performance
def test_parse_json(benchmark) -> None:
    parsed = benchmark(json.loads, TEXT)
    assert len(parsed["users"]) == 200


@pytest.mark.performance
def test_sort_records(benchmark) -> None:
    records = [(i * 7919) % 1000 for i in range(2000)]
    assert benchmark(sorted, records)[0] == 0


@pytest.mark.performance
@pytest.mark.benchmark(group="io")
def test_slow_call(benchmark) -> None:
    """A stand-in for a call that waits (a database, an HTTP endpoint): 2 ms a round."""
    benchmark.pedantic(time.sleep, args=(0.002,), rounds=20, warmup_rounds=1)
