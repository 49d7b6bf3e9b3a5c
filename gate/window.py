"""The run being judged: its testid, scenario and time window, and the placeholders that
scope every query to it.

Queries are evaluated at `eval_time = end + settle`, with `$range` reaching back to the
run's start, so the verdict does not depend on when the gate runs. `settle` (default 5 s)
covers the generators' final push, which is stamped when they stop, a moment after the
end the run record states.

A run started and stopped several times from Locust's web UI spans idle time between its
swarms: `$range` still reaches from the first start to the last end (every sample of the
run), while `$duration_seconds`, the divisor of per-second rates, is the time load ran.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from gate.units import promql_duration
from perfstack.core.durations import parse_duration
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.identity import validate_testid
from perfstack.core.record import RunRecord, load_record

DEFAULT_SETTLE = 5.0
_PLACEHOLDER = re.compile(r"\$\{(\w+)\}|\$(\w+)")


@dataclass(frozen=True)
class RunWindow:
    testid: str
    scenario: str
    start: float
    end: float | None  # None: the run has not ended
    settle: float = DEFAULT_SETTLE
    record: RunRecord | None = None

    def __post_init__(self) -> None:
        validate_testid(self.testid)

    @property
    def duration(self) -> float:
        return 0.0 if self.end is None else max(0.0, self.end - self.start)

    @property
    def load_seconds(self) -> float:
        """The time load ran: the record's swarms when it lists them, else the window."""
        if self.record is not None and self.record.swarms and self.record.duration is not None:
            return self.record.duration
        return self.duration

    @property
    def eval_time(self) -> float:
        return (self.end if self.end is not None else self.start) + self.settle

    def in_progress(self, now: float) -> str | None:
        """Why the run cannot be judged yet, or None when it can."""
        if self.end is None:
            return f"run {self.testid} has no end time: it is still in progress"
        if self.end > now:
            return f"run {self.testid} ends {self.end - now:.0f}s in the future: still in progress"
        if self.duration <= 0:
            return f"run {self.testid} has an empty window (start {self.start}, end {self.end})"
        return None

    def placeholders(
        self, variables: Mapping[str, str], window: float | None = None
    ) -> dict[str, str]:
        values = dict(variables)
        values.update(
            testid=self.testid,
            scenario=self.scenario,
            start=f"{self.start:.3f}",
            end=f"{(self.end or self.start):.3f}",
            # a range reaching back to the start from the evaluation time: the same as $range,
            # so `increase(x[$duration])` at end + settle still covers the whole run
            duration=promql_duration(max(self.duration, 0.001) + self.settle),
            duration_seconds=f"{max(self.load_seconds, 0.001):.3f}",
            range=promql_duration(max(self.duration, 0.001) + self.settle),
        )
        if window is not None:
            values["window"] = promql_duration(window)
        return values


def resolve(text: str, values: Mapping[str, str]) -> str:
    """Replace $name / ${name}; an unknown name is an error naming it."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        if name not in values:
            raise KeyError(name)
        return values[name]

    return _PLACEHOLDER.sub(replace, text)


def from_record(record: RunRecord, settle: float = DEFAULT_SETTLE) -> RunWindow:
    return RunWindow(
        record.testid,
        record.scenario,
        float(record.start),
        None if record.end is None else float(record.end),
        settle,
        record,
    )


def window_for(
    state_dir: Path,
    testid: str | None,
    start: float | None,
    end: float | None,
    scenario: str | None = None,
    settle: float = DEFAULT_SETTLE,
    clock: Callable[[], float] = time.time,
) -> RunWindow:
    """From --start/--end (with --testid), else from the run record (--testid or the last run)."""
    if (start is None) != (end is None):
        raise PerfstackError("--start and --end go together", ExitCode.USAGE)
    if start is not None and end is not None:
        if testid is None:
            raise PerfstackError(
                "--start/--end need --testid (the queries are scoped by it)", ExitCode.USAGE
            )
        if end <= start:
            raise PerfstackError(f"--end ({end}) must be after --start ({start})", ExitCode.USAGE)
        return RunWindow(testid, scenario or "adhoc", start, end, settle)
    record = load_record(state_dir, testid)
    return from_record(record, settle)


def parse_time(text: str, flag: str, clock: Callable[[], float] = time.time) -> float:
    """Unix seconds, an ISO-8601 time, `now` or `now-<duration>` (e.g. now-5m)."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        if text == "now":
            return clock()
        if text.startswith("now-"):
            return clock() - parse_duration(text[4:], allow_zero=True)
        return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise PerfstackError(
            f"{flag} {text!r}: expected unix seconds, an ISO-8601 time or now-<duration>",
            ExitCode.USAGE,
        ) from None
