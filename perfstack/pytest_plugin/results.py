"""pytest-benchmark's JSON (`--benchmark-json FILE`, the files under `.benchmarks/`) read
strictly into BenchmarkResults.

The live plugin goes through the same reader: it hands each finished benchmark's
`as_dict()` (the very entry pytest-benchmark writes to its JSON) to `result_from_entry`, so
a pushed run and an imported file of it carry the same numbers. Every error names the key
(`benchmarks[2].stats.mean`) and what was expected there; a file is read completely before
anything of it is pushed.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from perfstack.metrics.benchmarks import BenchmarkResult

_SECONDS = ("min", "max", "mean", "stddev", "median", "iqr", "ops")


class ResultError(ValueError):
    """A benchmark file or entry that is not what pytest-benchmark writes."""


@dataclass(frozen=True)
class BenchmarkFile:
    path: Path
    saved_at: float  # Unix time of the file's `datetime`: when pytest-benchmark wrote it
    results: list[BenchmarkResult]
    commit: str  # commit_info.id when the file has it, else ""


def _number(stats: dict[str, Any], key: str, where: str) -> float:
    value = stats.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float):
        shown = "missing" if key not in stats else repr(value)
        raise ResultError(f"{where}.{key}: expected a number, got {shown}")
    if not math.isfinite(value) or value < 0:
        raise ResultError(f"{where}.{key}: expected a finite number >= 0, got {value!r}")
    return float(value)


def _whole(stats: dict[str, Any], key: str, where: str, default: int | None = None) -> int:
    if key not in stats and default is not None:
        return default
    value = stats.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        shown = "missing" if key not in stats else repr(value)
        raise ResultError(f"{where}.{key}: expected a whole number >= 1, got {shown}")
    return value


def result_from_entry(entry: Any, where: str = "benchmark") -> BenchmarkResult:
    """One element of the JSON's `benchmarks` list (or a live benchmark's as_dict())."""
    if not isinstance(entry, dict):
        raise ResultError(f"{where}: expected an object, got {type(entry).__name__}")
    for key in ("name", "fullname"):
        if not isinstance(entry.get(key), str) or not entry[key]:
            raise ResultError(f"{where}.{key}: expected a non-empty string")
    group = entry.get("group")
    if group is not None and not isinstance(group, str):
        raise ResultError(f"{where}.group: expected a string or null, got {group!r}")
    stats = entry.get("stats")
    if not isinstance(stats, dict):
        raise ResultError(f"{where}.stats: expected an object")
    at = f"{where}.stats"
    figures = {key: _number(stats, key, at) for key in _SECONDS}
    rounds = _whole(stats, "rounds", at)
    iterations = _whole(stats, "iterations", at, default=1)
    raw = stats.get("data", [])
    if not isinstance(raw, list):
        raise ResultError(f"{at}.data: expected a list of numbers")
    data = tuple(_number({f"data[{i}]": v}, f"data[{i}]", at) for i, v in enumerate(raw))
    if data and len(data) != rounds:
        raise ResultError(f"{at}.data: {len(data)} values for {rounds} rounds")
    return BenchmarkResult(
        name=entry["name"],
        fullname=entry["fullname"],
        group=group or "",
        rounds=rounds,
        iterations=iterations,
        data=data,
        **figures,
    )


def parse_saved_at(text: Any, where: str) -> float:
    if not isinstance(text, str):
        raise ResultError(f"{where}: expected an ISO-8601 time string, got {text!r}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ResultError(f"{where}: expected an ISO-8601 time, got {text!r}") from None
    if moment.tzinfo is None:  # pytest-benchmark writes UTC (older versions without offset)
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def read_benchmark_file(path: Path) -> BenchmarkFile:
    """The whole file, or ResultError naming the file and the key at fault."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ResultError(f"{path}: cannot read: {error}") from None
    except ValueError as error:
        raise ResultError(f"{path}: not JSON: {error}") from None
    try:
        return _benchmark_file(path, document)
    except ResultError as error:
        raise ResultError(f"{path}: {error}") from None


def _benchmark_file(path: Path, document: Any) -> BenchmarkFile:
    if not isinstance(document, dict):
        raise ResultError(f"expected a pytest-benchmark JSON object, got {type(document).__name__}")
    if "benchmarks" not in document:
        found = ", ".join(sorted(map(str, document))[:5]) or "none"
        raise ResultError(
            f"key 'benchmarks' is missing (keys found: {found}): not a pytest-benchmark "
            "file (--benchmark-json or .benchmarks/)"
        )
    entries = document["benchmarks"]
    if not isinstance(entries, list) or not entries:
        raise ResultError("benchmarks: expected a non-empty list")
    saved_at = parse_saved_at(document.get("datetime"), "datetime")
    results = [result_from_entry(entry, f"benchmarks[{i}]") for i, entry in enumerate(entries)]
    seen: dict[tuple[str, str, str], int] = {}
    for index, result in enumerate(results):
        if result.key in seen:
            raise ResultError(
                f"benchmarks[{index}].fullname: {result.fullname!r} repeats "
                f"benchmarks[{seen[result.key]}]"
            )
        seen[result.key] = index
    commit = document.get("commit_info")
    commit_id = commit.get("id") if isinstance(commit, dict) else None
    return BenchmarkFile(path, saved_at, results, commit_id if isinstance(commit_id, str) else "")
