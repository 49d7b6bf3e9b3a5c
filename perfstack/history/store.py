"""A scenario's run history: its runs in order with their summary values, read from
Prometheus (`perfstack_run_summary` joined to `perfstack_run_info` by timestamp) and from
the local run records for the runs Prometheus lacks (a short retention, a run whose push
failed, no Prometheus at all)."""

from __future__ import annotations

import json
import math
import re
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gate.prometheus import PrometheusClient, PrometheusError, PrometheusUnavailable, QueryRejected
from gate.sources import history_dir
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.record import read_record_file
from perfstack.core.state import runs_dir
from perfstack.history.summary import (
    OBJECTIVE_PREFIX,
    RUN_INFO_METRIC,
    SUMMARY_METRIC,
    record_values,
    summary_of,
)

SOURCES = ("auto", "prometheus", "local")
Key = tuple[str, str]  # (sli, name)
_OWN_LABELS = {"__name__", "scenario", "sli", "name", "testid"}


@dataclass
class Run:
    testid: str
    end: float  # Unix seconds: the run's end, where its summary is stamped
    labels: dict[str, str] = field(default_factory=dict)
    values: dict[Key, float] = field(default_factory=dict)
    source: str = "prometheus"  # prometheus | local | both


@dataclass
class History:
    scenario: str
    runs: list[Run]
    # objective SLIs whose fall is the regression (their pass condition is a lower bound),
    # from the gate results kept locally; other objectives regress when they rise
    lower_is_worse: set[str] = field(default_factory=set)
    notes: list[str] = field(default_factory=list)

    def keys(self) -> list[Key]:
        return sorted({key for run in self.runs for key in run.values})

    def series(self, key: Key) -> list[tuple[Run, float]]:
        return [(run, run.values[key]) for run in self.runs if key in run.values]


@dataclass(frozen=True)
class HistoryQuery:
    scenario: str
    since: float  # seconds back from `now`
    prometheus_url: str
    state_dir: Path
    source: str = "auto"
    labels: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 10.0
    now: float | None = None
    prometheus_source: str = "--prometheus"  # where the URL came from, for its errors


def load_history(query: HistoryQuery) -> History:
    """Runs of the scenario within the window, oldest first. An empty history is returned
    as such: the caller says what that means (inconclusive, never a pass)."""
    now = time.time() if query.now is None else query.now
    history = History(query.scenario, [])
    runs: dict[str, Run] = {}
    if query.source in ("auto", "prometheus"):
        # a URL that answers but is no query API is a mistake to fix, never "no history";
        # one that does not answer leaves `auto` with the local records
        with PrometheusClient(query.prometheus_url, timeout=query.timeout) as client:
            client.require_query_api(query.prometheus_source, refused_ok=query.source == "auto")
        try:
            for run in _from_prometheus(query, now):
                runs[run.testid] = run
        except PrometheusUnavailable as error:
            if query.source == "prometheus":
                raise PerfstackError(error.args[0], ExitCode.PROMETHEUS_UNAVAILABLE) from error
            history.notes.append(f"Prometheus not read ({error.args[0]}); local run records only")
        except QueryRejected as error:
            raise PerfstackError(
                f"Prometheus rejected the history query: {error}", ExitCode.USAGE
            ) from error
    if query.source in ("auto", "local"):
        for run in _from_records(query, now, history):
            known = runs.get(run.testid)
            if known is None:
                runs[run.testid] = run
            else:  # Prometheus has the run: fill in what it lacks (e.g. a failed gate push)
                for key, value in run.values.items():
                    known.values.setdefault(key, value)
                known.source = "both"
    history.runs = sorted(runs.values(), key=lambda run: (run.end, run.testid))
    return history


def _selector(query: HistoryQuery, metric: str) -> str:
    matchers = [f"scenario={json.dumps(query.scenario)}"]
    matchers += [f"{k}={json.dumps(v)}" for k, v in sorted(query.labels.items())]
    return f"{metric}{{{','.join(matchers)}}}[{max(1, math.ceil(query.since))}s]"


def _from_prometheus(query: HistoryQuery, now: float) -> list[Run]:
    with PrometheusClient(query.prometheus_url, timeout=query.timeout) as client:
        infos = client.samples(_selector(query, RUN_INFO_METRIC), now)
        summaries = client.samples(_selector(query, SUMMARY_METRIC), now)
    by_stamp: dict[int, Run] = {}
    for series in infos:
        testid = series.labels.get("testid", "")
        labels = {k: v for k, v in series.labels.items() if k not in _OWN_LABELS}
        for stamp, _ in series.points:
            by_stamp[_ms(stamp)] = Run(testid, stamp, labels)
    for series in summaries:
        key = (series.labels.get("sli", ""), series.labels.get("name", ""))
        for stamp, value in series.points:
            run = by_stamp.get(_ms(stamp))
            if run is not None and math.isfinite(value):
                run.values[key] = value
    return list(by_stamp.values())


def _ms(stamp: float) -> int:
    return round(stamp * 1000)


def _from_records(query: HistoryQuery, now: float, history: History) -> list[Run]:
    runs = []
    for path in sorted(runs_dir(query.state_dir).glob("*.json")):
        try:
            record = read_record_file(path)
        except PerfstackError as error:
            history.notes.append(f"skipped {error.message}")
            continue
        if (
            record.scenario != query.scenario
            or record.end is None
            or record.end < now - query.since
        ):
            continue
        labels, values = summary_of(record)
        if any(labels.get(k) != v for k, v in query.labels.items()):
            continue
        run = Run(record.testid, record.end, labels, source="local")
        for value in values or record_values(record):
            run.values[(value.sli, value.name)] = value.value
        _add_gate_result(query.state_dir, run, history)
        runs.append(run)
    return runs


_LOWER_BOUND = re.compile(r"^\s*>")


def _add_gate_result(state_dir: Path, run: Run, history: History) -> None:
    """The objective values `gate check` kept for the run (<state>/gate/<testid>.json)."""
    path = history_dir(state_dir) / f"{run.testid}.json"
    try:
        result = json.loads(path.read_text(encoding="utf-8"))
        objectives = result["objectives"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    for objective in objectives if isinstance(objectives, list) else []:
        try:
            name, value = str(objective["name"]), objective["value"]
            passing = (objective.get("threshold") or {}).get("pass") or ""
        except (KeyError, TypeError, AttributeError):
            continue
        sli = OBJECTIVE_PREFIX + name
        if isinstance(value, int | float) and math.isfinite(value):
            run.values.setdefault((sli, ""), float(value))
        if _LOWER_BOUND.match(str(passing)):
            history.lower_is_worse.add(sli)


def known_scenarios(query: HistoryQuery) -> list[str]:
    """Scenarios with a summary in Prometheus or a local record: named in the message
    about a scenario that has none."""
    found: set[str] = set()
    now = time.time() if query.now is None else query.now
    if query.source != "local":
        try:
            with PrometheusClient(query.prometheus_url, timeout=query.timeout) as client:
                found.update(
                    client.label_values("scenario", RUN_INFO_METRIC, now - query.since, now)
                )
        except (PrometheusError, PerfstackError) as error:
            print(f"perfstack: warning: {error}", file=sys.stderr)
    for path in runs_dir(query.state_dir).glob("*.json"):
        try:
            found.add(read_record_file(path).scenario)
        except PerfstackError:
            continue
    return sorted(found)
