"""The Overview's open-model panels, their queries run as Grafana would (variables
substituted) against the session Prometheus after a real arrival-rate run whose pool is too
small: one user for 4 iterations/s that each hold it 375 ms, so every other slot is
dropped (half, derived from the schedule as in tests/loadgen/locust/test_tickets.py).
The panels must show the drops the run record counts, a ratio at the level the gate
judges, and a corrected p99 no lower than the observed one."""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from perfstack.core.record import RunRecord
from perfstack.core.state import runs_dir
from perfstack.mixin import config as c
from perfstack.mixin import open_model, overview
from perfstack.mixin import recording as r
from perfstack.mixin.queries import PanelQuery, panel_queries, substitute
from perfstack.mixin.thresholds import is_level_query
from perfstack.testing import prom_query
from tests.helpers import prom_query_range, prom_scalar, wait_until
from tests.loadgen.locust.test_tickets import BUSY_LOCUSTFILE
from tests.loadgen.locust.test_tickets import SATURATING_DROPPED as DROPPED
from tests.loadgen.locust.test_tickets import SATURATING_SCHEDULED as SCHEDULED
from tests.loadgen.locust.test_tickets import SATURATING_SECONDS as SECONDS
from tests.loadgen.locust_runs import (
    PACED_LOCUSTFILE,
    finished_record,
    run_perfstack,
    start_perfstack,
    write_locustfile,
)

RATE_INTERVAL = "20s"  # as Grafana sets it at a 5 s scrape (test_panels_return_data.py)


@dataclass(frozen=True)
class OpenRun:
    url: str
    testid: str
    record: RunRecord
    start: float
    end: float

    def expr(self, query: PanelQuery) -> str:
        range_seconds = int(self.end - self.start) + 30
        return substitute(
            query.expr, [self.testid], range_seconds=range_seconds, rate_interval=RATE_INTERVAL
        )

    def instant(self, query: PanelQuery) -> dict[str, float]:
        """{legend-ish key: value} of an instant panel query, at the end of the window."""
        result = prom_query(self.url, self.expr(query), self.end)
        return {_key(item["metric"]): float(item["value"][1]) for item in result}

    def series(self, query: PanelQuery) -> dict[str, dict[float, float]]:
        """{series key: {time: value}} of a range panel query over the run and after."""
        result = prom_query_range(self.url, self.expr(query), self.start, self.end, step=1)
        return {
            _key(item["metric"]): {float(t): float(v) for t, v in item["values"]} for item in result
        }

    def range_query(self, expr: str) -> dict[float, float]:
        """{time: value} of one series' range query over the run and after (empty: none)."""
        result = prom_query_range(self.url, expr, self.start, self.end, step=1)
        assert len(result) <= 1, result
        return {float(t): float(v) for t, v in result[0]["values"]} if result else {}

    def evaluations(self, series: str) -> list[float]:
        """The timestamps of one recorded series' samples: the rule group's evaluations."""
        (result,) = prom_query(self.url, f"{series}[15m]", self.end)
        return [float(t) for t, _ in result["values"]]


def _equal_steps(a: dict[float, float], b: dict[float, float]) -> set[float]:
    return {at for at, value in a.items() if at in b and b[at] == pytest.approx(value, rel=1e-9)}


def _key(metric: dict[str, str]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(metric.items()) if k != "__name__")


def _panel(title: str) -> list[PanelQuery]:
    queries = [q for q in panel_queries(overview.build()) if q.panel == title]
    assert queries, f"no panel {title!r} on the Overview"
    return queries


@pytest.fixture(scope="module")
def open_run(stack: Any, demo_target: Any, tmp_path_factory: pytest.TempPathFactory) -> OpenRun:
    directory = tmp_path_factory.mktemp("open-panels")
    testid = f"open-panels-{uuid.uuid4().hex[:8]}"
    locustfile = write_locustfile(directory, BUSY_LOCUSTFILE)
    scenario = directory / "open.yaml"
    scenario.write_text(
        f"stages:\n  - {{kind: arrival, rate: 4/s, duration: {SECONDS}s, max_users: 1}}\n"
    )
    result = run_perfstack(
        locustfile, demo_target.url, directory, stack.prometheus_url,
        "--scenario", str(scenario), "--testid", testid,
    )  # fmt: skip
    record = finished_record(directory, testid, result)
    url = stack.prometheus_url
    selector = f'{{testid="{testid}"}}'
    start = prom_scalar(
        url, f"max(last_over_time(loadgen_run_start_timestamp_seconds{selector}[15m]))"
    )
    assert start is not None
    end = prom_scalar(url, f"max(last_over_time(loadgen_run_end_timestamp_seconds{selector}[15m]))")
    assert end is not None
    # the recording rules evaluate every few seconds: wait for one that saw the last push
    # (sent within a push interval of the run's end)
    rules = (
        "testid:loadgen_dropped_iterations:ratio_rate1m",
        "testid_quantile:loadgen_http_request_corrected_duration_seconds:histogram_quantile1m",
        "testid_quantile:loadgen_http_request_duration_seconds:histogram_quantile1m",
    )
    wait_until(
        lambda: all(
            (prom_scalar(url, f"min(timestamp({rule}{selector}))") or 0) > end + 2 for rule in rules
        ),
        timeout=30,
        interval=0.5,
    )
    return OpenRun(url, testid, record, start - 5, time.time())


@pytest.mark.slow(seconds=35)  # the module's run: about 30 s on a busy machine
@pytest.mark.timeout(120)
def test_the_run_behind_the_panels_dropped_half_its_iterations(open_run: OpenRun) -> None:
    assert DROPPED == SCHEDULED // 2
    arrival = open_run.record.extra["arrival"]
    assert (arrival["scheduled"], open_run.record.dropped_iterations) == (SCHEDULED, DROPPED)


@pytest.mark.timeout(120)
def test_dropped_count_and_ratio_of_the_run_are_the_records(open_run: OpenRun) -> None:
    (count,) = _panel("Dropped iterations (run)")
    assert open_run.instant(count) == {f"testid={open_run.testid}": DROPPED}
    (ratio,) = _panel("Dropped ratio (run)")
    assert open_run.instant(ratio) == {f"testid={open_run.testid}": DROPPED / SCHEDULED}


@pytest.mark.timeout(120)
def test_requested_vs_achieved_and_the_dropped_rate_follow_the_drops(open_run: OpenRun) -> None:
    requested_query, achieved_query = _panel("Iterations per second: requested vs achieved")
    (requested,) = open_run.series(requested_query).values()
    (achieved,) = open_run.series(achieved_query).values()
    (dropped,) = open_run.series(_panel("Dropped iterations per second")[0]).values()
    assert requested.keys() == achieved.keys() == dropped.keys()
    for at, rate in requested.items():
        # requested = achieved + dropped at every step (one window, same samples)
        assert achieved[at] + dropped[at] == pytest.approx(rate), at
    assert max(dropped.values()) > 0
    # once the rule window holds the whole run, half of what was requested was achieved
    last = max(requested)
    assert achieved[last] / requested[last] == pytest.approx(1 - DROPPED / SCHEDULED, abs=0.1)


@pytest.mark.timeout(120)
def test_dropped_ratio_and_its_level_line(open_run: OpenRun) -> None:
    ratio_query, level_query = _panel("Dropped ratio")
    assert is_level_query(level_query.expr)
    (ratio,) = open_run.series(ratio_query).values()
    (level,) = open_run.series(level_query).values()
    assert ratio[max(ratio)] == pytest.approx(DROPPED / SCHEDULED, abs=0.1)
    # the default FAIL boundary, drawn exactly where the panel has data
    assert set(level.values()) == {c.DROPPED_ITERATIONS_RATIO_MAX}
    assert level.keys() == ratio.keys()
    assert ratio[max(ratio)] > c.DROPPED_ITERATIONS_RATIO_MAX  # the alert's condition holds


@pytest.mark.timeout(120)
def test_corrected_latency_is_never_below_the_observed(open_run: OpenRun) -> None:
    *latency, level_query = _panel("Latency observed vs corrected (p95 / p99)")
    lines: dict[str, dict[float, float]] = {}
    for query, name in zip(
        latency, ("p95 observed", "p95 corrected", "p99 observed", "p99 corrected"), strict=True
    ):
        (lines[name],) = open_run.series(query).values()
    # Both estimates come from one evaluation of one rule group, so each step compares the
    # same moment (from two groups, evaluated at their own offsets, CI saw the corrected
    # p95 at 5.1 ms beside an observed 10.8 ms of another moment: issue 26).
    for q in ("0.95", "0.99"):
        observed_at, corrected_at = (
            open_run.evaluations(f'{family}{{testid="{open_run.testid}", quantile="{q}"}}')
            for family in (r.HTTP_DURATION_QUANTILE, r.HTTP_CORRECTED_QUANTILE)
        )
        assert observed_at == corrected_at and len(observed_at) >= 3, (q, observed_at)
    # Counted the same requests: a push that lands between the group's observed and
    # corrected bucket queries is in one estimate only, until the next evaluation.
    same_requests = _equal_steps(
        *(
            open_run.range_query(f'{buckets}{{testid="{open_run.testid}", le="+Inf"}}')
            for buckets in (r.HTTP_DURATION_BUCKETS, r.HTTP_CORRECTED_BUCKETS)
        )
    )
    compared = 0
    for q in ("p95", "p99"):
        observed, corrected = lines[f"{q} observed"], lines[f"{q} corrected"]
        assert observed.keys() <= corrected.keys()  # observed only beside corrected
        for at, value in observed.items():
            if not math.isnan(value) and at in same_requests:
                # per request corrected >= observed, so no corrected bucket counts more.
                # rate() could still lift one above the observed where the series' first
                # push held requests that fall in different buckets in the two families
                # (docs/http-load.md "Observed and corrected estimates side by side"); this
                # run's first push holds the first request alone (pushes come ~0.45 s into
                # the run, the next request is due at 0.5 s), so each bucket's first sample
                # is 0 or 1 in both, and then no corrected bucket rate exceeds the observed.
                assert corrected[at] >= value * (1 - 1e-9), (q, at, value, corrected[at])
                compared += 1
    # most steps: a push racing an evaluation leaves out its 5 steps
    assert compared > 0 and len(same_requests) > len(lines["p95 observed"]) / 2
    (level,) = open_run.series(level_query).values()
    assert set(level.values()) == {c.LATENCY_SLA_SECONDS}

    # the run's exact figures once it ended: the record's, corrected no lower
    observed_query, corrected_query = _panel("p99 of the run: observed vs corrected")
    key = f"testid={open_run.testid}"
    (observed_p99,) = open_run.instant(observed_query).values()
    assert open_run.instant(corrected_query).keys() == {key}
    corrected_p99 = open_run.instant(corrected_query)[key]
    assert observed_p99 == pytest.approx(open_run.record.percentiles["p99"], rel=1e-3)
    assert corrected_p99 == pytest.approx(open_run.record.corrected_percentiles["p99"], rel=1e-3)
    assert corrected_p99 >= observed_p99 > 0


@pytest.mark.timeout(120)
def test_generator_saturated_marks_the_run_that_fell_behind(open_run: OpenRun) -> None:
    (query,) = _panel("Generator saturated")
    series = open_run.series(query)
    locust = {key: values for key, values in series.items() if "generator=locust" in key}
    assert locust, series.keys()
    assert open_run.record.generator_saturated
    assert max(v for values in locust.values() for v in values.values()) == 1


def test_every_open_model_panel_is_on_the_overview_and_says_why_it_is_empty() -> None:
    panels = {p["title"]: p for p in overview.build()["panels"]}
    for title in open_model.ONLY_OPEN_MODEL:
        assert panels[title]["fieldConfig"]["defaults"]["noValue"] in (
            open_model.NO_ARRIVAL,
            open_model.NO_CORRECTED,
        ), title


# Two users of PACED_LOCUSTFILE: they know their intended starts, so corrected latency
# exists, but they play no arrival schedule.
STALL = 2.0


@pytest.mark.slow(seconds=25)
@pytest.mark.timeout(120)
def test_a_paced_closed_run_shows_the_omission_and_no_dropped_iterations(
    stack: Any, demo_target_factory: Any, tmp_path: Path
) -> None:
    """The target stalls once for 2 s: each paced user sits it out in one request, so the
    observed latency stays low, while the requests it should have sent meanwhile are late
    by up to the stall, which the corrected latency shows. The iteration panels stay empty."""
    target = demo_target_factory()
    testid = f"paced-panels-{uuid.uuid4().hex[:8]}"
    locustfile = write_locustfile(tmp_path, PACED_LOCUSTFILE)
    run = start_perfstack(
        locustfile, target.url, tmp_path, stack.prometheus_url,
        "-u", "2", "-r", "2", "-t", "8s", "--testid", testid,
    )  # fmt: skip
    try:
        live = runs_dir(tmp_path) / f"{testid}.live"
        wait_until(lambda: live.is_file() and json.loads(live.read_text()).get("users") == 2, 60)
        time.sleep(2.0)
        target.set_knobs(stall_seconds=STALL)
        output = run.communicate(timeout=90)[0]
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    record = finished_record(tmp_path, testid, run)
    assert record.dropped_iterations == 0, output
    url = stack.prometheus_url
    selector = f'{{testid="{testid}"}}'
    start = prom_scalar(
        url, f"max(last_over_time(loadgen_run_start_timestamp_seconds{selector}[15m]))"
    )
    assert start is not None
    wait_until(
        lambda: (
            (
                prom_scalar(
                    url,
                    "min(timestamp(testid_quantile:loadgen_http_request_corrected_duration_seconds:"
                    f"histogram_quantile1m{selector}))",
                )
                or 0
            )
            > (record.end or 0) + 2
        ),
        timeout=30,
        interval=0.5,
    )
    paced = OpenRun(url, testid, record, start - 5, time.time())

    observed_query, corrected_query = _panel("p99 of the run: observed vs corrected")
    key = f"testid={testid}"
    observed, corrected = paced.instant(observed_query)[key], paced.instant(corrected_query)[key]
    assert corrected == pytest.approx(record.corrected_percentiles["p99"], rel=1e-3)
    assert observed == pytest.approx(record.percentiles["p99"], rel=1e-3)
    assert corrected >= observed > 0

    # the omission, side by side: a quarter of the requests were due while the target
    # stalled and are late by up to the stall, so the corrected p95 is far above the
    # observed one (only the one request each user sat the stall out in was slow). (The p99
    # shows it too on a quiet machine, but a generator slowed by other tests sends fewer
    # requests, and two slow ones can then reach the top 1% of what was observed.)
    latency = _panel("Latency observed vs corrected (p95 / p99)")
    lines = [paced.series(query) for query in latency[:4]]
    assert all(len(line) == 1 for line in lines), lines
    (p95_observed,), (p95_corrected,) = lines[0].values(), lines[1].values()
    last = max(p95_observed)  # the rule window holds the whole run
    print(
        f"paced closed run, p95 over the whole run: observed {p95_observed[last]:.3f} s, "
        f"corrected {p95_corrected[last]:.3f} s; p99 of the run (exact): observed "
        f"{observed:.3f} s, corrected {corrected:.3f} s"
    )
    assert p95_corrected[last] > STALL / 4 > 2 * p95_observed[last]

    # no arrival schedule: the iteration panels (their lines included) stay empty
    for title in (
        "Dropped iterations (run)",
        "Dropped ratio",
        "Iterations per second: requested vs achieved",
    ):
        for query in _panel(title):
            shown = paced.instant(query) if query.instant else paced.series(query)
            assert shown == {}, query.where()
