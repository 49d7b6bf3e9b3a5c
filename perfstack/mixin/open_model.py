"""The Overview's open-model rows: arrival rate requested vs achieved, dropped iterations,
observed vs corrected latency, and whether a generator was saturated.

Iteration counters exist only in arrival-rate runs and corrected latency only in runs that
know their intended starts (arrival stages, users paced by constant_pacing /
constant_throughput; docs/http-load.md "Open model"). Every other run leaves these panels
empty, and they say why rather than Grafana's bare "No data": an empty panel never reads
as "nothing dropped". Observed latency is drawn here only beside a corrected figure, so a
closed run does not half-fill the comparison.
"""

from __future__ import annotations

from perfstack.mixin import config as c
from perfstack.mixin import recording as r
from perfstack.mixin import thresholds as levels
from perfstack.mixin.panels import Panel, query, row, stat, state_timeline, timeseries

T = c.TESTID
NO_ARRIVAL = "no open-model stage in this run"
NO_CORRECTED = "no intended starts in this run (arrival stages or paced users have them)"
# Smallest ratio Grafana's steps can tell from 0: any dropped iteration turns it orange.
ANY = 1e-9

SCHEDULED = f"{r.ITERATIONS_SCHEDULED_RATE}{{{T}}}"
DROPPED = f"{r.ITERATIONS_DROPPED_RATE}{{{T}}}"
DROPPED_RATIO = f"{r.ITERATIONS_DROPPED_RATIO}{{{T}}}"

DROPPED_TOTAL = "loadgen_dropped_iterations_total"
SCHEDULED_TOTAL = "loadgen_scheduled_iterations_total"
OBSERVED_RUN = "loadgen_http_request_duration_run_seconds"
CORRECTED_RUN = "loadgen_http_request_corrected_duration_run_seconds"
OBSERVED_BUCKETS = "loadgen_http_request_duration_seconds_bucket"
CORRECTED_BUCKETS = "loadgen_http_request_corrected_duration_seconds_bucket"


def run_total(counter: str) -> str:
    """A run's exact count: its counters start at 0 with the run, so the largest value each
    process reached in the range, summed (the range must hold the run, as for the table)."""
    return f"sum by (testid) (max_over_time({counter}{{{T}}}[$__range]))"


def dropped_ratio_of_run() -> str:
    """Dropped over scheduled iterations of the whole run: the gate's dropped_iterations_ratio."""
    return f"{run_total(DROPPED_TOTAL)} / {run_total(SCHEDULED_TOTAL)} > -1"  # not NaN at 0/0


def quantile(q: str, *, corrected: bool) -> str:
    """Latency quantile `q` per run over the rule window, observed or corrected."""
    family = r.HTTP_CORRECTED_QUANTILE if corrected else r.HTTP_DURATION_QUANTILE
    return f'{family}{{{T}, quantile="{q}"}}'


def side_by_side(q: str) -> str:
    """Observed quantile `q`, only for runs that also have the corrected one."""
    return f"{quantile(q, corrected=False)} and on (testid) {quantile(q, corrected=True)}"


def run_quantile(q: str, *, corrected: bool) -> str:
    """The run's exact quantile once it ended (HdrHistogram, all requests), else the
    estimate from its cumulative buckets so far."""
    exact, buckets = (
        (CORRECTED_RUN, CORRECTED_BUCKETS) if corrected else (OBSERVED_RUN, OBSERVED_BUCKETS)
    )
    return (
        f"max by (testid) (last_over_time({exact}"
        f'{{{T}, name="_overall_", quantile="{q}"}}[$__range]))'
        f" or histogram_quantile({q}, sum by (testid, le) "
        f"(max_over_time({buckets}{{{T}}}[$__range])))"
    )


def rows(saturated: str) -> list[list[tuple[Panel, int]]]:
    """The open-model rows; `saturated` is the generators' saturated (0/1) query."""
    sla = c.LATENCY_SLA_SECONDS
    fail_above = c.DROPPED_ITERATIONS_RATIO_MAX
    p99_run = "0.99"
    return [
        [(row("Open model: arrival rate, dropped iterations, corrected latency"), 24)],
        [
            (
                stat(
                    "Dropped iterations (run)",
                    query(run_total(DROPPED_TOTAL), "{{testid}}", instant=True),
                    orange_at=1,
                    no_value=NO_ARRIVAL,
                    description="Iterations due on the arrival-rate schedule that found no "
                    "free user (max_users too small or the target too slow), over each "
                    "selected run's own window: any is a WARN in the default preset",
                ),
                4,
            ),
            (
                stat(
                    "Dropped ratio (run)",
                    query(dropped_ratio_of_run(), "{{testid}}", instant=True),
                    unit="percentunit",
                    orange_at=ANY,
                    red_at=fail_above,
                    no_value=NO_ARRIVAL,
                    description="Dropped / scheduled iterations of the whole run, as the "
                    f"gate's dropped_iterations_ratio: orange for any, red from "
                    f"{fail_above:.0%} (the default preset FAILs above it)",
                ),
                4,
            ),
            (
                stat(
                    "p99 of the run: observed vs corrected",
                    query(
                        f"({run_quantile(p99_run, corrected=False)}) and on (testid) "
                        f"({run_quantile(p99_run, corrected=True)})",
                        "{{testid}} observed",
                        instant=True,
                    ),
                    extra_targets=[
                        query(
                            run_quantile(p99_run, corrected=True),
                            "{{testid}} corrected",
                            instant=True,
                        )
                    ],
                    unit="s",
                    red_at=sla,
                    no_value=NO_CORRECTED,
                    description="Exact once the run ended (HdrHistogram), estimated from the "
                    "histograms before. Corrected: from each request's intended start; a "
                    "gap to the observed figure is the coordinated omission of a closed "
                    "model (or a late start of the open one)",
                ),
                6,
            ),
            (
                state_timeline(
                    "Generator saturated",
                    query(saturated, "{{generator}} {{instance}}"),
                    {0: ("ok", "green"), 1: ("saturated", "red")},
                    no_value="no generator health pushed for this run",
                    description="Saturated: a generator process above 90% of a core for "
                    "10 s, or an arrival-rate run that started fewer than 95% of the "
                    "iterations due in its last 10 s. Its latency figures include its own "
                    "queueing (PerfstackGeneratorSaturated; the gate's generator_saturation)",
                ),
                10,
            ),
        ],
        [
            (
                timeseries(
                    "Iterations per second: requested vs achieved",
                    [
                        query(SCHEDULED, "{{testid}} requested"),
                        query(f"{SCHEDULED} - {DROPPED}", "{{testid}} achieved"),
                    ],
                    unit="ops",
                    no_value=NO_ARRIVAL,
                    description=f"Requested: iterations due on the schedule (over "
                    f"{c.RULE_WINDOW}, all processes); achieved: those a free user started",
                ),
                8,
            ),
            (
                timeseries(
                    "Dropped iterations per second",
                    [query(DROPPED, "{{testid}}")],
                    unit="ops",
                    no_value=NO_ARRIVAL,
                ),
                8,
            ),
            (
                timeseries(
                    "Dropped ratio",
                    [query(DROPPED_RATIO, "{{testid}}")],
                    unit="percentunit",
                    red_at=fail_above,
                    level=levels.line(
                        "dropped_iterations_ratio",
                        fail_above,
                        level_name="warn",
                        beside=DROPPED_RATIO,
                    ),
                    no_value=NO_ARRIVAL,
                    description=f"Over {c.RULE_WINDOW}. Dashed red line: above it a run "
                    "FAILs (the dropped_iterations_ratio warn level of the loaded rule "
                    f"files, the strictest, else the default {fail_above:.0%}); any "
                    "dropped iteration WARNs",
                ),
                8,
            ),
        ],
        [
            (
                timeseries(
                    "Latency observed vs corrected (p95 / p99)",
                    [
                        query(target(q), f"{{{{testid}}}} p{int(float(q) * 100)} {kind}")
                        for q in ("0.95", "0.99")
                        for kind, target in (
                            ("observed", side_by_side),
                            ("corrected", lambda q: quantile(q, corrected=True)),
                        )
                    ],
                    unit="s",
                    red_at=sla,
                    level=levels.line(
                        "latency_p95_corrected", sla, beside=quantile("0.95", corrected=True)
                    ),
                    no_value=NO_CORRECTED,
                    description="From the histograms, all instances merged, over "
                    f"{c.RULE_WINDOW}. Corrected latency counts from each request's "
                    "intended start (wrk2, Hyperfoil): the gap is what a closed model omits. "
                    "Dashed red line: the latency_p95_corrected pass level of the loaded "
                    f"rule files (the strictest), else the default SLA {sla} s",
                ),
                24,
            ),
        ],
    ]


# Panels that only arrival-rate or paced runs fill (the saturated timeline is every run's).
ONLY_OPEN_MODEL = (
    "Dropped iterations (run)",
    "Dropped ratio (run)",
    "p99 of the run: observed vs corrected",
    "Iterations per second: requested vs achieved",
    "Dropped iterations per second",
    "Dropped ratio",
    "Latency observed vs corrected (p95 / p99)",
)
