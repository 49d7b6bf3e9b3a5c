"""What a report shows, gathered: the run record (and a baseline run's), the gate's
verdicts (`perfstack gate check`'s own evaluation) and the charts' series from Prometheus
range queries over each run's window, on a time axis relative to the run's start."""

from __future__ import annotations

import argparse
import math
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gate.arguments import evaluate_from_args, load_rule_file
from gate.prometheus import PrometheusClient, PrometheusError, PrometheusUnavailable
from gate.verdicts import GateResult
from gate.window import DEFAULT_SETTLE
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.record import RunRecord, load_record
from perfstack.core.settings import prometheus_url_and_source
from perfstack.mixin.queries import substitute
from perfstack.report.history import RunHistory, gather_history
from perfstack.report.open_model import applies
from perfstack.report.panels import ChartSpec, chart_specs

# points per series at most: a 10-minute run is drawn at 2 s, a 15 s run at 1 s
MAX_POINTS = 300
_LEGEND = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@dataclass(frozen=True)
class Line:
    label: str
    x: tuple[float, ...]  # seconds since the run's start
    y: tuple[float, ...]  # finite values only: a NaN (0/0) is a gap, never a point


@dataclass
class Chart:
    spec: ChartSpec
    lines: list[Line] = field(default_factory=list)
    baseline: list[Line] = field(default_factory=list)

    @property
    def measured(self) -> bool:
        return any(line.x for line in self.lines)


@dataclass
class ReportData:
    record: RunRecord
    result: GateResult
    charts: list[Chart]
    baseline: RunRecord | None = None
    stages: list[tuple[float, str]] = field(default_factory=list)  # (seconds, label)
    abort: tuple[float, str] | None = None  # when the live gate stopped the run, and why
    seconds: float = 0.0  # the time axis: the longer run's window, start to end + settle
    history: RunHistory | None = None  # None: not asked for (--no-history)


@dataclass(frozen=True)
class ReportRequest:
    testid: str | None
    state_dir: Path
    prometheus: str | None = None
    baseline_testid: str | None = None
    rules: Path | None = None
    variables: tuple[str, ...] = ()
    settle: float = DEFAULT_SETTLE
    timeout: float = 10.0
    baseline_dir: Path = Path("baselines")
    # how far back the run-history section looks; None: no such section
    history_since: float | None = 90 * 86400.0
    history_since_text: str = "90d"


def default_rules() -> Path:
    """The demo preset that `perfstack demo` judges with."""
    import gate

    return Path(gate.__file__).resolve().parent / "presets" / "default.yaml"


def legend(template: str, labels: dict[str, str]) -> str:
    return _LEGEND.sub(lambda m: labels.get(m.group(1), ""), template).strip() or "value"


def step_for(seconds: float) -> float:
    return float(max(1, math.ceil(seconds / MAX_POINTS)))


def run_span(record: RunRecord, settle: float) -> tuple[float, float]:
    if record.end is None:
        raise PerfstackError(
            f"run {record.testid} has no end time: still in progress (no report yet)",
            ExitCode.NO_DATA,
        )
    return float(record.start), float(record.end) + settle


def query_chart(
    client: PrometheusClient, spec: ChartSpec, record: RunRecord, settle: float
) -> list[Line]:
    start, end = run_span(record, settle)
    step = step_for(end - start)
    lines = []
    for expr, template in spec.queries:
        promql = substitute(
            expr,
            [record.testid],
            range_seconds=math.ceil(end - start),
            rate_interval=f"{int(max(20, 4 * step))}s",
            interval=f"{int(step)}s",
        )
        for series in client.range(promql, start, end, step):
            points = [(t - start, v) for t, v in series.points if math.isfinite(v)]
            if spec.zero_outside_run and points:
                points = anchored(points, float(record.end or start) - start)
            lines.append(
                Line(
                    legend(template, series.labels),
                    tuple(t for t, _ in points),
                    tuple(v for _, v in points),
                )
            )
    return sorted(lines, key=lambda line: line.label)


def anchored(points: list[tuple[float, float]], stop: float) -> list[tuple[float, float]]:
    """A users line from zero at the run's start to zero at its stop (seconds since the
    start). The samples alone leave both ends open: the first push lands ~0.5-1 s after
    the start, users already spawning, so the range query's first step (at the start) has
    no sample yet and the next one shows the ramp half done; at the stop the gauge's last
    sample (0) is followed at once by stale markers, so no later step sees it. Both zeros
    are what the run record says: no user before `start`, none after `end`."""
    head = [(0.0, 0.0)] if points[0][0] > 0 else []
    kept = [(t, v) for t, v in points if t < stop]
    return [*head, *kept, (stop, 0.0)]


def stage_marks(record: RunRecord) -> list[tuple[float, str]]:
    """Where each stage of the scenario began, from the stages `perfstack run` played
    (`extra.stages` in the record); none for runs without a scenario. An arrival stage is
    named by its rate (its `users` is the run's pool, not a load level)."""
    marks, elapsed = [], 0.0
    for index, stage in enumerate(record.extra.get("stages") or []):
        marks.append((elapsed, f"stage {index + 1}: {_stage_load(stage)}"))
        elapsed += float(stage["duration"])
    return marks


def _stage_load(stage: dict[str, Any]) -> str:
    if stage["kind"] != "arrival":
        return f"{stage['kind']}, {stage['users']} users"
    rate, start_rate = float(stage["rate"]), float(stage.get("start_rate", stage["rate"]))
    if start_rate == rate:
        return f"arrival, {rate:g}/s"
    return f"arrival, {start_rate:g}/s to {rate:g}/s"


def abort_mark(record: RunRecord) -> tuple[float, str] | None:
    if record.exit_status != "aborted" or record.end is None:
        return None
    return float(record.end) - float(record.start), f"live gate abort: {record.message}"


def _gate_result(request: ReportRequest, record: RunRecord, url: str) -> GateResult:
    """The verdicts exactly as `perfstack gate check` computes them (nothing pushed)."""
    rules = load_rule_file(request.rules or default_rules(), list(request.variables))
    args = argparse.Namespace(
        settle=request.settle,
        state_dir=str(request.state_dir),
        prometheus=url,
        start=None,
        end=None,
        testid=record.testid,
        scenario=None,
        timeout=request.timeout,
        baseline=None,
        baseline_testid=request.baseline_testid,
        baseline_last=None,
        baseline_aggregate="median",
        baseline_dir=str(request.baseline_dir),
    )
    return evaluate_from_args(args, rules)


def gather(request: ReportRequest) -> ReportData:
    record = load_record(request.state_dir, request.testid)
    baseline = (
        load_record(request.state_dir, request.baseline_testid) if request.baseline_testid else None
    )
    if not request.prometheus and record.prometheus_url:
        url, source = record.prometheus_url, f"the prometheus_url of run record {record.testid}"
    else:
        url, source = prometheus_url_and_source(request.prometheus, request.state_dir)
    with PrometheusClient(url, timeout=request.timeout) as probe:
        probe.require_query_api(source)
    _, last = run_span(record, request.settle)  # a run still in progress has no report
    # right after a run (run --report, demo) its last pushes may still be on their way
    time.sleep(min(request.settle, max(0.0, last - time.time())))
    result = _gate_result(request, record, url)
    charts = []
    try:
        with PrometheusClient(url, timeout=request.timeout) as client:
            for spec in chart_specs():
                if not applies(spec, record):
                    continue
                chart = Chart(spec, query_chart(client, spec, record, request.settle))
                if baseline is not None:
                    chart.baseline = query_chart(client, spec, baseline, request.settle)
                charts.append(chart)
    except PrometheusUnavailable as error:
        raise PerfstackError(str(error), ExitCode.PROMETHEUS_UNAVAILABLE) from error
    except PrometheusError as error:
        raise PerfstackError(f"a report query failed: {error}", ExitCode.USAGE) from error
    if not any(chart.measured for chart in charts):
        raise PerfstackError(
            f"Prometheus at {url} holds no series of run {record.testid} between its start "
            "and end: no report (was the run pushed there?)",
            ExitCode.NO_DATA,
        )
    runs = [record] if baseline is None else [record, baseline]
    seconds = max(end - start for start, end in (run_span(run, request.settle) for run in runs))
    history = None
    if request.history_since is not None:
        history = gather_history(
            record,
            url,
            request.state_dir,
            request.history_since,
            request.history_since_text,
            request.timeout,
        )
    return ReportData(
        record, result, charts, baseline, stage_marks(record), abort_mark(record), seconds, history
    )
