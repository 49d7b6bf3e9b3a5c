"""Built-in SLIs for perfstack's own metrics (docs/metrics.md), as PromQL templates.

Every template is scoped by `$sel` (the run's `testid`, plus `name` (and `method`) or
`target` when the objective names one) and by `$range` (the run window). Totals are the
last value of counters that start at zero with the run, summed over instances (several
Locust workers are several instances) - exact, unlike `increase()`, which extrapolates at
the window's edges. A counter that never fired has no series at all: `(x or on() 0 *
requests)` reads it as zero only when requests exist, so a run without data stays NO_DATA.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from gate.request_names import parse_request
from perfstack.core.record import PERCENTILE_KEYS
from perfstack.metrics.schema import QUANTILE_LABELS

HTTP_BUCKET = "loadgen_http_request_duration_seconds_bucket"
HTTP_REQUESTS = "loadgen_http_requests_total"
HTTP_FAILURES = "loadgen_http_request_failures_total"
HTTP_RUN_QUANTILE = "loadgen_http_request_duration_run_seconds"
CORRECTED_BUCKET = "loadgen_http_request_corrected_duration_seconds_bucket"
CORRECTED_COUNT = "loadgen_http_request_corrected_duration_seconds_count"
CORRECTED_RUN_QUANTILE = "loadgen_http_request_corrected_duration_run_seconds"
SCHEDULED = "loadgen_scheduled_iterations_total"
DROPPED = "loadgen_dropped_iterations_total"
CORRECTED_SUFFIX = "_corrected"  # `corrected: true` on latency_pNN reads latency_pNN_corrected
WS_RTT_BUCKET = "loadgen_ws_message_rtt_seconds_bucket"
WS_RTT_RUN = "loadgen_ws_message_rtt_run_seconds"
RSS = "exporter_target_resident_memory_bytes"
CPU = "exporter_target_cpu_utilization_ratio"

Template = Callable[[str], str]


def last(metric: str, sel: str) -> str:
    return f"sum(last_over_time({metric}{{{sel}}}[$range]))"


def zero_if_absent(counter: str, witness: str) -> str:
    return f"({counter} or on() (0 * {witness}))"


@dataclass(frozen=True)
class Shorthand:
    name: str
    kind: str  # latency | errors | throughput | websocket | memory | cpu | saturation
    unit: str  # seconds | ratio | rps | count | bytes | bytes_per_second
    params: tuple[str, ...]  # which of "request", "target" may narrow it
    values: tuple[Template, ...]  # tried in order; the first with exactly one series wins
    samples: Template
    live: Template | None = None  # trailing-window form for the live gate ($window)
    interval: Template | None = None  # per-interval form for confidence intervals ($window)
    record_percentile: str | None = None  # run-record key holding the exact value ...
    record_generator: str = "locust"  # ... in records of this generator only (ws records hold RTT)
    # an instant query answering one series per interval (label `chunk`): the bootstrap's
    # samples for shorthands whose data has no time intervals (benchmark rounds)
    interval_series: Template | None = None
    record_field: str = "percentiles"  # ... under this key (corrected_percentiles)


def _overall(sel: str) -> str:
    """The exact run gauges carry `name="_overall_"` for all requests together."""
    return sel if 'name="' in sel else sel + ',name="_overall_"'


def _hist_last(quantile: str, bucket: str, sel: str) -> str:
    return (
        f"histogram_quantile({quantile}, sum by (le) (last_over_time({bucket}{{{sel}}}[$range])))"
    )


def _hist_rate(quantile: str, bucket: str, sel: str) -> str:
    return f"histogram_quantile({quantile}, sum by (le) (rate({bucket}{{{sel}}}[$window])))"


def _increase(aggregate: str, series: str) -> str:
    """`aggregate (series)`'s growth over the last $window, as the difference of two
    instant values.

    rate() and increase() over a window of a few pushes disagree between stores: Prometheus
    extrapolates the samples inside the window, VictoriaMetrics starts from the sample
    before it (docs/stores.md). Both read the same two samples for `x - x offset w`, so the
    per-interval values the bootstrap compares are the same in either store. Our counters
    start at zero with the run and never reset within it."""
    return f"({aggregate} ({series}) - {aggregate} ({series} offset $window))"


def _hist_interval(quantile: str, bucket: str, sel: str) -> str:
    return f"histogram_quantile({quantile}, {_increase('sum by (le)', f'{bucket}{{{sel}}}')})"


def _mean_interval(sel: str) -> str:
    base = "loadgen_http_request_duration_seconds"
    total = _increase("sum", f"{base}_sum{{{sel}}}")
    return f"{total} / {_increase('sum', f'{base}_count{{{sel}}}')}"


def _mean_rate(sel: str) -> str:
    base = "loadgen_http_request_duration_seconds"
    return f"sum(rate({base}_sum{{{sel}}}[$window])) / sum(rate({base}_count{{{sel}}}[$window]))"


def _mean_last(sel: str) -> str:
    base = "loadgen_http_request_duration_seconds"
    return f"{last(base + '_sum', sel)} / {last(base + '_count', sel)}"


@dataclass(frozen=True)
class _LatencyFamily:
    """Where one kind of request latency lives: the observed response time, or the time
    from each request's intended start (docs/http-load.md)."""

    name_suffix: str
    run_quantile: str  # exact quantiles over the run, published at its end
    bucket: str
    samples: str
    record_field: str


OBSERVED = _LatencyFamily("", HTTP_RUN_QUANTILE, HTTP_BUCKET, HTTP_REQUESTS, "percentiles")
# exported only by runs that know intended starts, so any other run reads NO_DATA, never a pass
CORRECTED = _LatencyFamily(
    CORRECTED_SUFFIX,
    CORRECTED_RUN_QUANTILE,
    CORRECTED_BUCKET,
    CORRECTED_COUNT,
    "corrected_percentiles",
)


def _quantile_shorthand(label: str, quantile: str, family: _LatencyFamily) -> Shorthand:
    return Shorthand(
        name=f"latency_{label}{family.name_suffix}",
        kind="latency",
        unit="seconds",
        params=("request",),
        values=(
            lambda sel: (
                f"last_over_time({family.run_quantile}"
                f'{{{_overall(sel)},quantile="{quantile}"}}[$range])'
            ),
            lambda sel: _hist_last(quantile, family.bucket, sel),
        ),
        samples=lambda sel: last(family.samples, sel),
        live=lambda sel: _hist_rate(quantile, family.bucket, sel),
        interval=lambda sel: _hist_interval(quantile, family.bucket, sel),
        record_percentile=label,
        record_field=family.record_field,
    )


def _ratio(numerator: str, denominator: str) -> str:
    return f"{zero_if_absent(numerator, denominator)} / {denominator}"


def _ws_connect_ratio(sel: str) -> str:
    ok = last("loadgen_ws_connect_duration_seconds_count", sel)
    failed = last("loadgen_ws_connection_errors_total", sel + ',phase="connect"')
    ok0, failed0 = zero_if_absent(ok, failed), zero_if_absent(failed, ok)
    return f"{ok0} / ({ok0} + {failed0})"


def _ws_attempts(sel: str) -> str:
    ok = last("loadgen_ws_connect_duration_seconds_count", sel)
    failed = last("loadgen_ws_connection_errors_total", sel + ',phase="connect"')
    return f"{zero_if_absent(ok, failed)} + {zero_if_absent(failed, ok)}"


def _per_target(expr: str) -> str:
    return f"sum by (target) ({expr})"


def _per_target_over_range(
    name: str, kind: str, unit: str, function: str, metric: str
) -> Shorthand:
    """`function(metric[$range])` per target, with its sample count over the same range."""
    return Shorthand(
        name,
        kind,
        unit,
        ("target",),
        values=(lambda sel: _per_target(f"{function}({metric}{{{sel}}}[$range])"),),
        samples=lambda sel: _per_target(f"count_over_time({metric}{{{sel}}}[$range])"),
    )


BENCHMARK = "pytest_benchmark"
BENCHMARK_LABELS = "fullname, name, group"


def _per_benchmark(expr: str) -> str:
    """One series per benchmark whichever process (xdist worker) pushed it; two benchmarks
    sharing a name stay two series (judged by on_multi_series, never merged)."""
    return f"max by ({BENCHMARK_LABELS}) ({expr})"


def _benchmark(name: str, unit: str, value: Template, chunks: Template | None) -> Shorthand:
    """A pytest-benchmark figure of one benchmark (`benchmark:` its name) or of each."""
    return Shorthand(
        name,
        "benchmark",
        unit,
        ("benchmark",),
        values=(lambda sel: _per_benchmark(value(sel)),),
        samples=lambda sel: _per_benchmark(f"last_over_time({BENCHMARK}_rounds{{{sel}}}[$range])"),
        record_generator="pytest",
        interval_series=chunks,
    )


def _bench_last(stat: str) -> Template:
    return lambda sel: f"last_over_time({BENCHMARK}_{stat}{{{sel}}}[$range])"


def _bench_chunks(stat: str, invert: bool = False) -> Template:
    def template(sel: str) -> str:
        query = f"last_over_time({BENCHMARK}_chunk_{stat}_seconds{{{sel}}}[$range])"
        query = f"max by ({BENCHMARK_LABELS}, chunk) ({query})"
        return f"1 / {query}" if invert else query

    return template


BENCHMARK_SHORTHANDS = (
    _benchmark("benchmark_mean", "seconds", _bench_last("mean_seconds"), _bench_chunks("mean")),
    _benchmark(
        "benchmark_median", "seconds", _bench_last("median_seconds"), _bench_chunks("median")
    ),
    _benchmark("benchmark_min", "seconds", _bench_last("min_seconds"), None),
    _benchmark("benchmark_max", "seconds", _bench_last("max_seconds"), None),
    _benchmark(
        "benchmark_ops",
        "rps",
        _bench_last("operations_per_second"),
        _bench_chunks("mean", invert=True),
    ),
)

SHORTHANDS: dict[str, Shorthand] = {
    s.name: s
    for s in (
        *(
            _quantile_shorthand(key, QUANTILE_LABELS[q], family)
            for family in (OBSERVED, CORRECTED)
            for q, key in PERCENTILE_KEYS.items()
        ),
        Shorthand(
            "dropped_iterations_ratio",
            "arrival",
            "ratio",
            (),
            values=(lambda sel: _ratio(last(DROPPED, sel), last(SCHEDULED, sel)),),
            samples=lambda sel: last(SCHEDULED, sel),
            live=lambda sel: _ratio(
                f"sum(increase({DROPPED}{{{sel}}}[$window]))",
                f"sum(increase({SCHEDULED}{{{sel}}}[$window]))",
            ),
        ),
        Shorthand(
            "latency_mean",
            "latency",
            "seconds",
            ("request",),
            values=(_mean_last,),
            samples=lambda sel: last(HTTP_REQUESTS, sel),
            live=_mean_rate,
            interval=_mean_interval,
        ),
        Shorthand(
            "error_ratio",
            "errors",
            "ratio",
            ("request",),
            values=(lambda sel: _ratio(last(HTTP_FAILURES, sel), last(HTTP_REQUESTS, sel)),),
            samples=lambda sel: last(HTTP_REQUESTS, sel),
            live=lambda sel: _ratio(
                f"sum(increase({HTTP_FAILURES}{{{sel}}}[$window]))",
                f"sum(increase({HTTP_REQUESTS}{{{sel}}}[$window]))",
            ),
        ),
        Shorthand(
            "throughput",
            "throughput",
            "rps",
            ("request",),
            values=(lambda sel: f"{last(HTTP_REQUESTS, sel)} / $duration_seconds",),
            samples=lambda sel: last(HTTP_REQUESTS, sel),
            live=lambda sel: f"sum(rate({HTTP_REQUESTS}{{{sel}}}[$window]))",
        ),
        Shorthand(
            "request_count",
            "throughput",
            "count",
            ("request",),
            values=(lambda sel: last(HTTP_REQUESTS, sel),),
            samples=lambda sel: last(HTTP_REQUESTS, sel),
        ),
        Shorthand(
            "ws_connect_success_ratio",
            "websocket",
            "ratio",
            (),
            values=(_ws_connect_ratio,),
            samples=_ws_attempts,
        ),
        Shorthand(
            "ws_rtt_p95",
            "websocket",
            "seconds",
            (),
            values=(
                lambda sel: f'last_over_time({WS_RTT_RUN}{{{sel},quantile="0.95"}}[$range])',
                lambda sel: _hist_last("0.95", WS_RTT_BUCKET, sel),
            ),
            samples=lambda sel: last("loadgen_ws_message_rtt_seconds_count", sel),
            record_percentile="p95",
            record_generator="ws",
            live=lambda sel: _hist_rate("0.95", WS_RTT_BUCKET, sel),
        ),
        Shorthand(
            "ws_unexpected_disconnects",
            "websocket",
            "count",
            (),
            values=(
                lambda sel: zero_if_absent(
                    last("loadgen_ws_disconnects_total", sel + ',kind="unexpected"'),
                    last("loadgen_ws_sessions_total", sel),
                ),
            ),
            samples=lambda sel: last("loadgen_ws_sessions_total", sel),
        ),
        Shorthand(
            "memory_growth",
            "memory",
            "bytes",
            ("target",),
            values=(
                lambda sel: _per_target(
                    f"last_over_time({RSS}{{{sel}}}[$range])"
                    f" - min_over_time({RSS}{{{sel}}}[$range])"
                ),
            ),
            samples=lambda sel: _per_target(f"count_over_time({RSS}{{{sel}}}[$range])"),
        ),
        _per_target_over_range("memory_growth_slope", "memory", "bytes_per_second", "deriv", RSS),
        _per_target_over_range("memory_peak", "memory", "bytes", "max_over_time", RSS),
        _per_target_over_range("cpu_utilization", "cpu", "ratio", "avg_over_time", CPU),
        Shorthand(
            "generator_saturation",
            "saturation",
            "ratio",
            (),
            values=(
                lambda sel: "max(max_over_time(loadgen_generator_saturated{" + sel + "}[$range]))",
            ),
            samples=lambda sel: (
                "sum(count_over_time(loadgen_generator_saturated{" + sel + "}[$range]))"
            ),
            live=lambda sel: (
                "max(max_over_time(loadgen_generator_saturated{" + sel + "}[$window]))"
            ),
        ),
        *BENCHMARK_SHORTHANDS,
    )
}

KINDS = (
    "latency",
    "errors",
    "throughput",
    "websocket",
    "memory",
    "cpu",
    "saturation",
    "benchmark",
    "arrival",
    "other",
)


def selector(request: str | None = None, target: str | None = None) -> str:
    """The label matchers of a shorthand: the run's testid, narrowed by request name (and
    method, for "METHOD name") or target. A benchmark shorthand's `benchmark:` arrives as
    `request` (its `name` label)."""
    parts = ['testid="$testid"']
    if request is not None:
        ref = parse_request(request)
        parts.append(f'name="{escape_label(ref.name)}"')
        if ref.method is not None:
            parts.append(f'method="{escape_label(ref.method)}"')
    if target is not None:
        parts.append(f'target="{escape_label(target)}"')
    return ",".join(parts)


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
