"""Judges every objective of a rule set for one run and combines them into the gate's verdict.

Fail-closed throughout: an empty result is NO_DATA (never 0), NaN and infinities FAIL,
several series FAIL unless the objective says to take the worst, a missing (or negative)
baseline FAILs a relative criterion, and a query Prometheus rejects or cannot answer, or
that returns series of another run, is ERROR.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from gate.baselines import BaselineSource, BaselineValue
from gate.completeness import Loss, find_losses, loss_for
from gate.generators import in_prometheus, in_record, reads_from, skip_reason
from gate.measure import ForeignSeries, Measurement, Measurer, UnresolvedPlaceholder
from gate.model import Objective, RuleSet
from gate.prometheus import (
    PrometheusClient,
    PrometheusError,
    PrometheusUnavailable,
    QueryRejected,
    Series,
)
from gate.relative import compare, unusable_baseline
from gate.thresholds import SEVERITY, judge_value, shortfall
from gate.verdicts import (
    BaselineComparison,
    GateResult,
    ObjectiveResult,
    Skipped,
    Status,
    overall,
    worst,
)
from gate.window import RunWindow
from perfstack.core.record import COMPLETED

# per generator what Prometheus lost of the run; the error when that could not be checked
Losses = dict[str, Loss] | PrometheusError

_POLICY = {
    "no_data": Status.NO_DATA,
    "fail": Status.FAIL,
    "warn": Status.WARN,
    "pass": Status.PASS,
    "error": Status.ERROR,
}


def describe_series(series: list[Series]) -> str:
    shown = [
        "{"
        + ",".join(f'{k}="{v}"' for k, v in sorted(s.labels.items()) if k != "__name__")
        + f"}}={s.value:g}"
        for s in series[:5]
    ]
    more = f" and {len(series) - 5} more" if len(series) > 5 else ""
    return "; ".join(shown) + more


class Gate:
    def __init__(
        self,
        client: PrometheusClient,
        rules: RuleSet,
        baseline: BaselineSource | None = None,
        clock: Callable[[], float] = time.time,
        parallel: int = 8,
    ) -> None:
        self.client = client
        self.rules = rules
        self.measurer = Measurer(client, dict(rules.variables))
        self.baseline = baseline
        self.clock = clock
        self.collect_intervals = False  # per-interval values for every objective (baseline save)
        self.parallel = parallel

    def evaluate(self, window: RunWindow) -> GateResult:
        skipped = [
            Skipped(o.name, o.kind, f"not for scenario {window.scenario} (only for "
                    f"{', '.join(o.scenarios)})")
            for o in self.rules.objectives
            if not o.applies_to(window.scenario)
        ]  # fmt: skip
        applicable = [o for o in self.rules.objectives if o.applies_to(window.scenario)]
        not_ready = window.in_progress(self.clock())
        if not_ready:
            results = [self._not_ready(o, window, not_ready) for o in applicable]
        else:
            ran = self._generators(window)
            for objective in applicable:
                why = None if ran is None else skip_reason(objective, ran, window)
                if why is not None:
                    skipped.append(Skipped(objective.name, objective.kind, why))
            skipped_names = {s.name for s in skipped}
            applicable = [o for o in applicable if o.name not in skipped_names]
            losses = self._find_losses(window)
            # objectives are independent; Prometheus answers concurrent queries in parallel
            with ThreadPoolExecutor(max_workers=max(1, self.parallel)) as pool:
                results = list(pool.map(lambda o: self.judge(o, window, losses), applicable))
        status, score, reason = overall(results, self.rules.score_pass, self.rules.score_warn)
        if not results and skipped:
            reason = f"no objective was judged: all {len(skipped)} skipped"
        return GateResult(
            rules_path=self.rules.path,
            rules_name=self.rules.name,
            testid=window.testid,
            scenario=window.scenario,
            start=window.start,
            end=window.end,
            evaluated_at=window.eval_time,
            objectives=results,
            status=status,
            score=score,
            score_pass=self.rules.score_pass,
            score_warn=self.rules.score_warn,
            baseline_source=self.baseline.description if self.baseline else None,
            skipped=skipped,
            reason=not_ready or reason + _run_note(window),
        )

    def _generators(self, window: RunWindow) -> set[str] | None:
        """The generators the run had; None when Prometheus cannot say (then nothing is
        skipped: the objectives meet the same error when they are judged)."""
        try:
            return in_record(window.record) | in_prometheus(self.client, window)
        except PrometheusError:
            return None

    def _find_losses(self, window: RunWindow) -> Losses:
        try:
            return find_losses(self.client, window)
        except PrometheusError as error:
            return error  # whether data is missing is unknown: objectives reading it ERROR

    def _not_ready(self, objective: Objective, window: RunWindow, reason: str) -> ObjectiveResult:
        queries = self.measurer.queries(objective, window)
        return ObjectiveResult(
            objective, Status.NO_DATA, None, queries[-1], window.eval_time, reason=reason
        )

    def judge(
        self, objective: Objective, window: RunWindow, losses: Losses | None = None
    ) -> ObjectiveResult:
        started = time.perf_counter()
        try:
            result = self._judge(objective, window, {} if losses is None else losses)
        except QueryRejected as error:
            result = self._error(
                objective, window, "query", f"Prometheus rejected the query: {error}"
            )
        except PrometheusUnavailable as error:
            result = self._error(objective, window, "unavailable", str(error))
        except (UnresolvedPlaceholder, ForeignSeries) as error:
            result = self._error(objective, window, "query", str(error))
        result.elapsed = time.perf_counter() - started
        return result

    def _error(
        self, objective: Objective, window: RunWindow, kind: str, reason: str
    ) -> ObjectiveResult:
        try:
            query = self.measurer.queries(objective, window)[-1]
        except UnresolvedPlaceholder:
            query = objective.query or ""
        return ObjectiveResult(
            objective, Status.ERROR, None, query, window.eval_time, reason=reason, error_kind=kind
        )

    def _measure(
        self, objective: Objective, window: RunWindow, loss: Loss | None
    ) -> Measurement | ObjectiveResult:
        """The objective's numbers; from the run record when Prometheus lost part of the
        data it reads, and a NO_DATA verdict when the record has no exact figure for it."""
        if loss is None:
            return self.measurer.measure(objective, window)
        measured = self.measurer.from_record(objective, window, counts=True)
        if measured is None:
            return ObjectiveResult(
                objective,
                Status.NO_DATA,
                None,
                self.measurer.queries(objective, window)[-1],
                window.eval_time,
                reason=f"not judged: {loss.reason}, and the run record has no exact figure "
                "for this objective (Prometheus' partial data is never judged)",
            )
        measured.notes.append(f"judged from the run record's exact figures: {loss.reason}")
        return measured

    def _judge(self, objective: Objective, window: RunWindow, losses: Losses) -> ObjectiveResult:
        if isinstance(losses, PrometheusError):
            # whether Prometheus holds the whole run is unknown: no objective that reads the
            # run's pushed data is judged (raw queries elsewhere still are)
            if reads_from(objective) or "testid" in (objective.query or ""):
                raise losses
            losses = {}
        loss = loss_for(objective, losses)
        measured = self._measure(objective, window, loss)
        if isinstance(measured, ObjectiveResult):
            return measured
        base: BaselineValue | None = None
        if objective.relative is not None and self.baseline is not None and measured.series:
            base = self.baseline.get(objective)  # once: the worst series is chosen against it too
        result = ObjectiveResult(
            objective,
            Status.PASS,
            None,
            measured.query,
            window.eval_time,
            source=measured.source,
            series=measured.series,
            samples=measured.samples,
        )
        absolute, reason = self._absolute(objective, measured, result, base)
        result.reason = "; ".join([*measured.notes, reason] if reason else measured.notes)
        status = absolute
        compared = absolute in (Status.PASS, Status.WARN, Status.FAIL) and result.value is not None
        if objective.relative is not None and compared:
            # Prometheus' intervals of a run it holds only part of would be compared as the
            # whole run's: the change is then the point change of the record's exact value
            result.intervals = [] if loss is not None else self._intervals(objective, window)
            comparison = self._relative(objective, result, base)
            if comparison is not None:
                result.baseline = comparison
                status = worst(status, comparison.status)
        elif (
            self.collect_intervals
            and objective.sli is not None
            and result.value is not None
            and loss is None
        ):
            result.intervals = self._intervals(objective, window)
        result.status = status
        return result

    def _absolute(
        self,
        objective: Objective,
        measured: Measurement,
        result: ObjectiveResult,
        base: BaselineValue | None,
    ) -> tuple[Status, str]:
        series = measured.series
        if not series:
            return _POLICY[objective.on_no_data], "no data: the query returned no series"
        if len(series) > 1:
            listed = describe_series(series)
            if objective.on_multi_series == "worst":
                chosen = self._worst_series(objective, series, base)
                result.value = chosen.value
                note = (
                    f"{len(series)} series, judged the worst {describe_series([chosen])}: {listed}"
                )
            else:
                if objective.on_multi_series == "error":
                    result.error_kind = "query"  # the query needs fixing: exit 2
                return _POLICY[
                    objective.on_multi_series
                ], f"{len(series)} series where one was expected: {listed}"
        else:
            result.value = series[0].value
            note = ""
        if measured.samples is not None and measured.samples < objective.min_samples:
            return _POLICY[
                objective.on_no_data
            ], f"too few samples: {measured.samples} < min_samples {objective.min_samples}"
        value = result.value
        assert value is not None
        if math.isnan(value):
            return Status.FAIL, "value is NaN (often 0/0: nothing counted in the window)"
        if math.isinf(value):
            return Status.FAIL, f"value is {'+' if value > 0 else '-'}Inf"
        if objective.passing is None:
            return Status.PASS, note
        return Status(judge_value(objective.passing, objective.warning, value)), note

    def _worst_series(
        self, objective: Objective, series: list[Series], base: BaselineValue | None
    ) -> Series:
        """The series with the worst verdict, judging each against `pass`/`warn` and the
        baseline; among equal verdicts the one furthest past (or nearest to) the pass limit,
        then the one furthest in the direction the relative criterion calls worse."""
        usable_base = base if base is not None and unusable_baseline(base.value) is None else None

        def badness(candidate: Series) -> tuple[float, float, float]:
            value = candidate.value
            if not math.isfinite(value):
                return math.inf, math.inf, math.inf  # NaN and infinities always FAIL
            status, past_limit, worse_direction = Status.PASS, 0.0, 0.0
            if objective.passing is not None:
                status = Status(judge_value(objective.passing, objective.warning, value))
                past_limit = shortfall(objective.passing, value)
            if objective.relative is not None:
                criterion = objective.relative
                worse_direction = value if criterion.passing.upper_bound else -value
                if usable_base is not None:
                    compared = compare(criterion, self.rules.levels, "", value, usable_base.value)
                    status = worst(status, compared.status)
            return SEVERITY[status], past_limit, worse_direction

        return max(series, key=badness)

    def _intervals(self, objective: Objective, window: RunWindow) -> list[float]:
        step = self._step(objective, window)
        return self.measurer.intervals(objective, window, step)[1]

    @staticmethod
    def _step(objective: Objective, window: RunWindow) -> float:
        if objective.relative is not None and objective.relative.interval:
            return objective.relative.interval
        return max(1.0, round(window.duration / 20.0))

    def _relative(
        self, objective: Objective, result: ObjectiveResult, base: BaselineValue | None
    ) -> BaselineComparison | None:
        assert objective.relative is not None
        source = self.baseline.description if self.baseline else "no baseline configured"
        missing = (
            "no baseline value for this objective"
            if base is None
            else unusable_baseline(base.value, base.intervals)
        )
        if base is None or missing is not None:  # a negative baseline is as good as none
            policy = objective.on_no_baseline
            if policy == "ignore":
                return None
            return BaselineComparison(
                source=source,
                value=None if base is None else base.value,
                status=_POLICY[policy],
                criterion=objective.relative.passing.text,
                reason=f"{missing} ({source})",
            )
        return compare(
            objective.relative,
            self.rules.levels,
            source,
            result.value,
            base.value,
            result.intervals,
            base.intervals,
        )


def _run_note(window: RunWindow) -> str:
    """A run that was interrupted or hit errors is judged on what it measured, but says so."""
    record = window.record
    if record is None or record.exit_status in (COMPLETED, "ok", "running", ""):
        return ""
    return f"; note: the run ended {record.exit_status}" + (
        f" ({record.message})" if record.message else ""
    )


def run_baseline_measure(
    gate: Gate, window: RunWindow
) -> Callable[[Objective], BaselineValue | None]:
    """Measures an objective on another run (a baseline testid) the way the gate would."""

    def measure(objective: Objective) -> BaselineValue | None:
        measured = gate.measurer.measure(objective, window)
        if len(measured.series) != 1 or not math.isfinite(measured.series[0].value):
            return None
        return BaselineValue(measured.series[0].value, gate._intervals(objective, window))

    return measure
