from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from bench_http_calls import CALL_COUNTER, REPOSITORY, VARIANTS, differences, per_request
from bench_http_overhead import LOCUSTFILE


def test_calls_are_divided_by_the_requests_of_the_window() -> None:
    result = {
        "requests": 400,
        "calls": [
            ["C", "list.append", 500],
            [REPOSITORY + "loadgen/request_recorder.py", "on_request", 400],
        ],
    }
    assert per_request(result) == {
        ("C", "list.append"): 1.25,
        ("loadgen/request_recorder.py", "on_request"): 1.0,
    }


def test_a_window_without_requests_is_an_error_not_a_zero() -> None:
    with pytest.raises(SystemExit, match="no request completed"):
        per_request({"requests": 0, "calls": [["C", "len", 10]]})


def test_differences_are_largest_first_and_skip_what_did_not_change() -> None:
    base = {("C", "len"): 18.0, ("C", "getattr"): 2.0, ("x.py", "gone"): 0.5}
    other = {("C", "len"): 18.0, ("C", "getattr"): 3.0, ("y.py", "on_request"): 1.0}
    lines = differences(base, other, top=10)
    assert len(lines) == 3  # len did not change
    assert "+1.000  C: getattr  (peer 2.000)" in lines[0]
    assert "+1.000  y.py: on_request  (peer 0.000)" in lines[1]  # ties ordered by name
    assert "-0.500  x.py: gone  (peer 0.500)" in lines[2]
    assert len(differences(base, other, top=1)) == 1


def test_variants_are_the_ones_the_bench_locustfile_runs() -> None:
    assert VARIANTS[0] == "none"
    assert 'VARIANT == "perfstack"' in LOCUSTFILE and "BENCH_IMPORTS" in LOCUSTFILE
    compile(CALL_COUNTER, "call_counter.py", "exec")  # the injected module at least parses
