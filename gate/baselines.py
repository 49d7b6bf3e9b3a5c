"""Where an objective's baseline comes from: a committed baseline file, another run still
in Prometheus (by testid), or the last N passing runs the gate has judged (aggregated).

Baseline files (`perfstack baseline save`) hold each objective's value and, for latency
objectives, its per-interval values so confidence intervals work without the old data.
"""

from __future__ import annotations

import json
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from gate.model import Objective
from perfstack.core.errors import ExitCode, PerfstackError

BASELINE_FORMAT = "perfstack-baseline/1"


@dataclass
class BaselineValue:
    value: float
    intervals: list[float] = field(default_factory=list)


class BaselineSource(Protocol):
    description: str

    def get(self, objective: Objective) -> BaselineValue | None: ...


class FileBaseline:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.description = f"baseline file {path}"
        self.objectives: dict[str, Any] = {}
        self.missing = not path.is_file()
        if self.missing:
            self.description = f"baseline file {path} (missing)"
            return
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as error:
            raise PerfstackError(f"{path}: not a baseline file: {error}", ExitCode.USAGE) from error
        if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT:
            raise PerfstackError(
                f"{path}: not a baseline file (expected format {BASELINE_FORMAT})", ExitCode.USAGE
            )
        self.objectives = data.get("objectives", {})
        self.description = f"baseline file {path} (testid {data.get('testid')})"

    def get(self, objective: Objective) -> BaselineValue | None:
        entry = self.objectives.get(objective.name)
        if not isinstance(entry, dict) or not isinstance(entry.get("value"), int | float):
            return None
        return BaselineValue(float(entry["value"]), [float(v) for v in entry.get("intervals", [])])


class RunBaseline:
    """Another run, measured the same way as the current one (through a callback)."""

    def __init__(self, testid: str, measure: Callable[[Objective], BaselineValue | None]) -> None:
        self.description = f"run {testid}"
        self._measure = measure

    def get(self, objective: Objective) -> BaselineValue | None:
        return self._measure(objective)


AGGREGATES: dict[str, Callable[[list[float]], float]] = {
    "mean": statistics.fmean,
    "median": statistics.median,
    "p90": lambda values: (
        statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]
    ),
}


class LastRunsBaseline:
    """The last N runs the gate passed (PASS, or WARN without --strict), from its history files."""

    def __init__(
        self, history_dir: Path, count: int, aggregate: str, exclude_testid: str, scenario: str
    ) -> None:
        self.aggregate = AGGREGATES[aggregate]
        results = []
        for path in history_dir.glob("*.json"):
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            passed = data.get("status") in ("PASS", "WARN")
            # a smoke run is no baseline for a stress run: same scenario only
            if passed and data.get("testid") != exclude_testid and data.get("scenario") == scenario:
                results.append(data)
        results.sort(key=lambda data: float(data.get("window", {}).get("end") or 0.0))
        self.runs = results[-count:]
        testids = ", ".join(str(data.get("testid")) for data in self.runs) or "none found"
        self.description = f"{aggregate} of the last {count} passing {scenario} runs ({testids})"

    def get(self, objective: Objective) -> BaselineValue | None:
        values: list[float] = []
        intervals: list[float] = []
        for run in self.runs:
            for entry in run.get("objectives", []):
                if entry.get("name") == objective.name and isinstance(
                    entry.get("value"), int | float
                ):
                    values.append(float(entry["value"]))
                    intervals.extend(float(v) for v in entry.get("intervals", []))
        if not values:
            return None
        return BaselineValue(self.aggregate(values), intervals)


def baseline_document(result: Any, name: str) -> dict[str, Any]:
    """The file `perfstack baseline save` writes, from a GateResult."""
    return {
        "format": BASELINE_FORMAT,
        "name": name,
        "testid": result.testid,
        "scenario": result.scenario,
        "rules": result.rules_path,
        "window": {"start": result.start, "end": result.end},
        "objectives": {
            entry.objective.name: {
                "value": entry.value,
                "status": str(entry.status),
                "query": entry.query,
                "samples": entry.samples,
                "intervals": entry.intervals,
            }
            for entry in result.objectives
            if entry.value is not None and math.isfinite(entry.value)
        },
    }
