"""pytest-benchmark's JSON read strictly: each way a file can be wrong is one message
naming the file and the key."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from perfstack.pytest_plugin.results import ResultError, read_benchmark_file, result_from_entry

ENTRY: dict[str, Any] = {
    "group": None,
    "name": "test_a",
    "fullname": "tests/test_x.py::test_a",
    "params": None,
    "stats": {
        "min": 0.001, "max": 0.004, "mean": 0.002, "stddev": 0.001, "rounds": 3,
        "median": 0.001, "iqr": 0.0025, "q1": 0.001, "q3": 0.0035, "iqr_outliers": 0,
        "stddev_outliers": 1, "outliers": "1;0", "ld15iqr": 0.001, "hd15iqr": 0.004,
        "ops": 500.0, "total": 0.006, "data": [0.001, 0.004, 0.001], "iterations": 1,
    },
}  # fmt: skip
DOCUMENT = {"machine_info": {}, "commit_info": {"id": "abc"}, "benchmarks": [ENTRY],
            "datetime": "2025-03-01T10:00:00.123456+00:00", "version": "5.1.0"}  # fmt: skip


def write(tmp_path: Path, document: Any) -> Path:
    path = tmp_path / "bench.json"
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def test_a_saved_file_reads_exactly() -> None:
    result = result_from_entry(ENTRY)
    assert (result.mean, result.rounds, result.data) == (0.002, 3, (0.001, 0.004, 0.001))
    assert result.group == ""  # none: an empty label value, as Prometheus has no null


def test_the_files_time_and_commit(tmp_path) -> None:
    saved = read_benchmark_file(write(tmp_path, DOCUMENT))
    assert saved.saved_at == 1740823200.123456 and saved.commit == "abc"


def broken(path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(DOCUMENT)
    target: Any = document
    keys = path.split(".")
    for key in keys[:-1]:
        target = target[int(key)] if key.isdigit() else target[key]
    if value is KeyError:
        del target[keys[-1]]
    else:
        target[keys[-1]] = value
    return document


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not JSON"),
        ([1, 2], "expected a pytest-benchmark JSON object, got list"),
        # a Locust stats file, a perfstack run record: foreign JSON names the missing key
        (
            {"stats": [], "num_requests": 3},
            "key 'benchmarks' is missing (keys found: num_requests, stats)",
        ),
        ({"testid": "x", "start": 1.0}, "key 'benchmarks' is missing"),
        (broken("benchmarks", []), "benchmarks: expected a non-empty list"),
        (broken("datetime", KeyError), "datetime: expected an ISO-8601 time string, got None"),
        (broken("datetime", "yesterday"), "datetime: expected an ISO-8601 time, got 'yesterday'"),
        (
            broken("benchmarks.0.stats.mean", "fast"),
            "benchmarks[0].stats.mean: expected a number, got 'fast'",
        ),
        (
            broken("benchmarks.0.stats.mean", KeyError),
            "benchmarks[0].stats.mean: expected a number, got missing",
        ),
        (
            broken("benchmarks.0.stats.max", -1),
            "benchmarks[0].stats.max: expected a finite number >= 0",
        ),
        (
            broken("benchmarks.0.stats.rounds", 0),
            "benchmarks[0].stats.rounds: expected a whole number >= 1",
        ),
        (
            broken("benchmarks.0.stats.data", [0.1]),
            "benchmarks[0].stats.data: 1 values for 3 rounds",
        ),
        (
            broken("benchmarks.0.stats.data", [0.1, None, 0.2]),
            "benchmarks[0].stats.data[1]: expected a number",
        ),
        (broken("benchmarks.0.name", ""), "benchmarks[0].name: expected a non-empty string"),
        (broken("benchmarks.0.group", 3), "benchmarks[0].group: expected a string or null"),
        (broken("benchmarks.0.stats", None), "benchmarks[0].stats: expected an object"),
        (
            {**DOCUMENT, "benchmarks": [ENTRY, ENTRY]},
            "benchmarks[1].fullname: 'tests/test_x.py::test_a' repeats benchmarks[0]",
        ),
    ],
)
def test_each_fault_is_one_message_naming_the_file_and_key(tmp_path, document, message) -> None:
    path = write(tmp_path, document)
    with pytest.raises(ResultError) as caught:
        read_benchmark_file(path)
    text = str(caught.value)
    assert text.startswith(f"{path}: ") and message in text and "\n" not in text


def test_a_stats_only_file_has_no_rounds_but_is_valid(tmp_path) -> None:
    saved = read_benchmark_file(write(tmp_path, broken("benchmarks.0.stats.data", KeyError)))
    assert saved.results[0].data == () and saved.results[0].rounds == 3
