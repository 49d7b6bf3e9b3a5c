"""The run record: what one run did, written as `<state>/runs/<testid>.json` when it ends.

Generic over generators (Locust here, the WebSocket generator in loadgen/ws): the gate
reads the run's time window and exact percentiles from it. The JSON shape is documented
in docs/run-record.md; `RECORD_VERSION` changes when a field changes meaning.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.identity import validate_testid
from perfstack.core.state import runs_dir

RECORD_VERSION = 1
# `exit_status` values (docs/run-record.md). A run ended by its own locustfile (or by an error
# in it) before the end it planned is not "completed": the gate notes it like "interrupted"
COMPLETED, INTERRUPTED, ABORTED, QUIT_EARLY = "completed", "interrupted", "aborted", "quit_early"
# quantile -> its key in the record's `percentiles` (and every generator's summary)
PERCENTILE_KEYS = {0.5: "p50", 0.9: "p90", 0.95: "p95", 0.99: "p99", 1.0: "max"}


@dataclass
class MethodStats:
    requests: int = 0
    failures: int = 0
    percentiles: dict[str, float] = field(default_factory=dict)
    # [[upper bound in seconds, count], ...] of the timed requests (docs/run-record.md);
    # records written before it was kept have none. Keyword-only: NameStats(requests,
    # failures, percentiles, methods) stays as it was
    histogram: list[list[float]] = field(default_factory=list, kw_only=True)
    # from each request's intended start (docs/http-load.md); empty when the run knew none.
    # Keyword-only, so positional construction (requests, failures, percentiles, methods)
    # keeps its meaning
    corrected_percentiles: dict[str, float] = field(default_factory=dict, kw_only=True)


@dataclass
class NameStats(MethodStats):
    """One request name over every method, and per method (`methods`, keyed by the method
    as the generator reported it, e.g. GET). Records written before methods were kept
    have no `methods`: it reads as empty."""

    methods: dict[str, MethodStats] = field(default_factory=dict)

    @classmethod
    def from_json(cls, stats: Any, where: str = "names") -> NameStats:
        """ValueError naming `where` when a count is not a whole number."""
        counts = _counts(where, stats)
        methods = stats.get("methods", {})
        if not isinstance(methods, dict):
            raise ValueError(f"{where}.methods: expected an object")
        return cls(
            **counts,
            methods={
                method: MethodStats(**_counts(f"{where}.methods[{method!r}]", figures))
                for method, figures in methods.items()
            },
        )


@dataclass
class RunRecord:
    testid: str
    scenario: str
    generator: str
    target: str
    start: float
    end: float | None = None
    generators: list[str] = field(default_factory=list)  # instances that produced load
    users: int = 0  # peak users
    requests: int = 0
    failures: int = 0
    errors_by_type: dict[str, int] = field(default_factory=dict)
    names: dict[str, NameStats] = field(default_factory=dict)
    percentiles: dict[str, float] = field(default_factory=dict)
    histogram: list[list[float]] = field(default_factory=list)  # over all requests
    corrected_percentiles: dict[str, float] = field(default_factory=dict, kw_only=True)
    # arrival-rate runs: iterations due on the schedule that no free user could start
    dropped_iterations: int = field(default=0, kw_only=True)
    name_overflow: int = 0
    samples_dropped: int = 0
    generator_saturated: bool = False
    prometheus_url: str = ""
    grafana_url: str = ""
    # completed | interrupted | aborted | quit_early | error | running
    exit_status: str = "running"
    exit_code: int | None = None
    message: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # the spans load ran in, in order: {start, end, duration, users, requests, failures}.
    # One for a headless run; one per start/stop of Locust's web UI, so the idle time
    # between them is no part of `duration`. A swarm's own `duration` is measured on the
    # monotonic clock (start and end are wall-clock times, for Prometheus)
    swarms: list[dict[str, Any]] = field(default_factory=list)
    version: int = RECORD_VERSION

    @property
    def arrival(self) -> dict[str, Any] | None:
        """An arrival-rate run's schedule as played (`extra.arrival`, docs/run-record.md);
        None for any other run."""
        found = self.extra.get("arrival")
        return found if isinstance(found, dict) else None

    @property
    def duration(self) -> float | None:
        """How long load ran: the sum of the swarms when they are known, else end - start."""
        if self.end is None:
            return None
        if self.swarms:
            return sum(float(swarm["duration"]) for swarm in self.swarms)
        return max(0.0, self.end - self.start)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["duration"] = self.duration
        for stats in data["names"].values():  # per name only when the run had them
            for figures in (stats, *stats["methods"].values()):
                if not figures["corrected_percentiles"]:
                    del figures["corrected_percentiles"]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunRecord:
        """ValueError naming the field when one has the wrong type: a record whose `start`
        is "yesterday" must not reach the gate's arithmetic."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, got {type(data).__name__}")
        values = {key: value for key, value in data.items() if key in _FIELD_KINDS}
        for key, value in values.items():
            kind = _FIELD_KINDS[key]
            if not _is_kind(value, kind):
                raise ValueError(f"field {key!r}: expected {kind}, got {value!r}")
        for key in ("testid", "scenario", "generator", "target", "start"):
            if key not in values:
                raise ValueError(f"field {key!r} is missing")
        values["names"] = {
            name: NameStats.from_json(stats, f"names[{name!r}]")
            for name, stats in values.get("names", {}).items()
        }
        for index, swarm in enumerate(values.get("swarms", [])):
            if not isinstance(swarm, dict) or not all(
                _is_kind(swarm.get(key), "a number") for key in ("start", "end", "duration")
            ):
                raise ValueError(
                    f"swarms[{index}]: expected an object with start, end and duration numbers"
                )
        _check_histogram("histogram", values.get("histogram", []))
        return cls(**values)


def _counts(where: str, stats: Any) -> dict[str, Any]:
    if not isinstance(stats, dict) or not all(
        _is_kind(stats.get(k, 0), "a whole number") for k in ("requests", "failures")
    ):
        raise ValueError(f"{where}: expected requests and failures as numbers")
    for key in ("percentiles", "corrected_percentiles"):
        if not isinstance(stats.get(key, {}), dict):
            raise ValueError(f"{where}.{key}: expected an object")
    _check_histogram(f"{where}.histogram", stats.get("histogram", []))
    keys = ("requests", "failures", "percentiles", "corrected_percentiles", "histogram")
    return {k: stats[k] for k in keys if k in stats}


def _check_histogram(where: str, bins: Any) -> None:
    if not isinstance(bins, list) or not all(
        isinstance(pair, list) and len(pair) == 2 and _is_kind(pair[0], "a number")
        and _is_kind(pair[1], "a whole number")
        for pair in bins
    ):  # fmt: skip
        raise ValueError(f"{where}: expected a list of [upper bound, count] pairs")


_FIELD_KINDS = {
    "testid": "a string",
    "scenario": "a string",
    "generator": "a string",
    "target": "a string",
    "start": "a number",
    "end": "a number or null",
    "generators": "a list",
    "users": "a whole number",
    "requests": "a whole number",
    "failures": "a whole number",
    "errors_by_type": "an object",
    "names": "an object",
    "percentiles": "an object",
    "histogram": "a list",
    "corrected_percentiles": "an object",
    "dropped_iterations": "a whole number",
    "name_overflow": "a whole number",
    "samples_dropped": "a whole number",
    "generator_saturated": "true or false",
    "prometheus_url": "a string",
    "grafana_url": "a string",
    "exit_status": "a string",
    "exit_code": "a whole number or null",
    "message": "a string",
    "extra": "an object",
    "swarms": "a list",
    "version": "a whole number",
}


def _is_kind(value: Any, kind: str) -> bool:
    if value is None:
        return kind.endswith("or null")
    if isinstance(value, bool):
        return kind == "true or false"
    if kind.startswith("a number"):
        return isinstance(value, int | float)
    if kind.startswith("a whole number"):
        return isinstance(value, int)
    expected = {"a string": str, "a list": list, "an object": dict, "true or false": bool}
    return isinstance(value, expected[kind])


def record_path(state_dir: Path, testid: str) -> Path:
    return runs_dir(state_dir) / f"{validate_testid(testid)}.json"


def write_record(state_dir: Path, record: RunRecord) -> Path:
    return write_record_file(record_path(state_dir, record.testid), record)


def write_record_file(path: Path, record: RunRecord) -> Path:
    """Write atomically (temp file + rename) so a reader never sees half a record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(
        json.dumps(record.to_json(), indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    os.replace(temporary, path)
    return path


def load_record(state_dir: Path, testid: str | None = None) -> RunRecord:
    """The record of `testid`, or of the run that started last when testid is None."""
    if testid is None:
        candidates = sorted(runs_dir(state_dir).glob("*.json"), key=_start_of)
        if not candidates:
            raise PerfstackError(f"no run records in {runs_dir(state_dir)}", ExitCode.NO_DATA)
        path = candidates[-1]
    else:
        path = record_path(state_dir, testid)
        if not path.is_file():
            raise PerfstackError(f"no run record for testid {testid!r} ({path})", ExitCode.NO_DATA)
    return read_record_file(path)


def read_record_file(path: Path) -> RunRecord:
    try:
        return RunRecord.from_json(json.loads(path.read_text(encoding="utf-8")))
    except (ValueError, TypeError, KeyError, AttributeError) as error:  # not JSON, not a mapping
        raise PerfstackError(
            f"{path}: not a valid run record: {error}", ExitCode.BAD_CONFIG_FILE
        ) from error


def joined_with_existing(state_dir: Path, record: RunRecord) -> RunRecord:
    """The record to write for `record.testid`, given what the file already holds.

    `perfstack ws --testid X` may run as its own command beside `perfstack run` (or plain
    Locust) under the same testid; whichever ends last finds the other's record. The HTTP
    record stays the whole and the WebSocket summary joins it as extra["ws"]; a record of
    the same generator (an earlier run reusing the testid) is replaced."""
    try:
        existing = load_record(state_dir, record.testid)
    except PerfstackError:  # none, or unreadable: ours replaces it
        return record
    if existing.generator == record.generator:
        return record
    if record.generator == "ws":
        existing.extra["ws"] = record.extra["ws"]
        return existing
    for key, value in existing.extra.items():
        record.extra.setdefault(key, value)
    return record


def _start_of(path: Path) -> float:
    """When the run started; for a file that cannot say, when it was written, so a corrupt
    newest record is the one chosen (and reported) rather than skipped for an older run."""
    try:
        start = json.loads(path.read_text(encoding="utf-8")).get("start")
        if isinstance(start, int | float) and not isinstance(start, bool):
            return float(start)
    except (OSError, ValueError, AttributeError):
        pass
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
