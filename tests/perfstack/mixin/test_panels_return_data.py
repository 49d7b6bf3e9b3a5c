"""Every query of every dashboard, variables substituted as Grafana would, returns data from a
real Prometheus (the session stack, with the repo's rules) after a real run of the three
generators at once: `perfstack run` (Locust), `perfstack ws` and `perfstack exporter`,
then `perfstack gate check` against a baseline saved from the run, as CI does.

Grafana cannot run here, so this is the proof that the dashboards show something. The
generators are started directly rather than through `perfstack demo` so this test depends
only on the commands whose metrics the dashboards read.

The same run reaches a `perfstack up --store victoria-metrics` stack too (VictoriaMetrics,
vmalert evaluating the repo's rules): every generator pushes to a vmagent that forwards to
both stores, and every query must return data from VictoriaMetrics as well.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from perfstack.mixin import build, open_model
from perfstack.mixin.dashboard import TESTID_VARIABLE_QUERY
from perfstack.mixin.queries import PanelQuery, annotation_queries, panel_queries, substitute
from perfstack.mixin.thresholds import is_level_query
from perfstack.testing import VmagentProcess
from tests.helpers import prom_scalar

ROOT = Path(__file__).resolve().parents[3]
GATE_RULES = ROOT / "tests" / "alerts" / "regression_rules.yaml"
LOCUSTFILE = ROOT / "tests" / "alerts" / "locustfile_e2e.py"
RUN = "12s"
HISTORY = "grafana/dashboards/perfstack-history.json"
# Grafana: $__rate_interval = max($__interval + push interval, 4 x the datasource's 5s).
RATE_INTERVAL = "20s"


def _perfstack(*args: object) -> list[str]:
    return [sys.executable, "-m", "perfstack", *map(str, args)]


def _check(result: subprocess.CompletedProcess[str], what: str) -> None:
    assert result.returncode == 0, (
        f"{what}: exit {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    )


def _run_all(stack: Any, target: Any, state_dir: Path, remote_write: str) -> str:
    testid = f"dash-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}"
    url = stack.prometheus_url
    logs = state_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    exporter = subprocess.Popen(
        _perfstack(
            "exporter",
            "--pid",
            target.pid,
            "--target-name",
            "demo-target",
            "--testid",
            testid,
            "--prometheus-url",
            url,
            "--remote-write-url",
            remote_write,
        ),
        stdout=(logs / "exporter.log").open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        ws = subprocess.Popen(
            _perfstack(
                "ws",
                "--url",
                target.ws_url,
                "--connections",
                10,
                "--duration",
                RUN,
                "--testid",
                testid,
                "--prometheus",
                url,
                "--remote-write-url",
                remote_write,
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        locust = subprocess.run(
            _perfstack(
                "run",
                "-f",
                LOCUSTFILE,
                "--host",
                target.url,
                "-u",
                5,
                "-r",
                5,
                "-t",
                RUN,
                "--testid",
                testid,
                "--prometheus",
                url,
                "--remote-write-url",
                remote_write,
                "--state-dir",
                state_dir,
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        _check(locust, "perfstack run")
        _, ws_err = ws.communicate(timeout=60)
        assert ws.returncode == 0, f"perfstack ws: exit {ws.returncode}\n{ws_err[-2000:]}"
    finally:
        exporter.terminate()
        exporter.wait(timeout=30)
    common = ("--testid", testid, "--prometheus", url, "--state-dir", state_dir)
    baseline = state_dir / "baseline.json"
    _check(
        subprocess.run(
            _perfstack("baseline", "save", "--rules", GATE_RULES, "--name", baseline, *common),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ),
        "perfstack baseline save",
    )
    _check(
        subprocess.run(
            _perfstack(
                "gate",
                "check",
                "--rules",
                GATE_RULES,
                "--baseline",
                baseline,
                "--remote-write",
                remote_write,
                *common,
            ),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        ),
        "perfstack gate check",
    )
    return testid


def _has_data(url: str, query: PanelQuery, expr: str, start: float, end: float) -> bool:
    params: dict[str, str | float] = {"query": expr}
    if query.instant:
        path = "query"
        params["time"] = end
    else:
        path = "query_range"
        params.update(start=start, end=end, step=5)
    body = httpx.get(f"{url}/api/v1/{path}", params=params, timeout=10).json()
    assert body.get("status") == "success", f"{query.where()}: {body.get('error')}\n{expr}"
    return bool(body["data"]["result"])


@pytest.mark.slow(seconds=60)
@pytest.mark.timeout(240)
def test_every_dashboard_query_returns_data_after_a_real_run(
    stack: Any,
    stack_factory: Callable[..., Any],
    demo_target_factory: Callable[..., Any],
    tmp_path: Path,
) -> None:
    victoria = stack_factory(store="victoria-metrics")
    # one queue: samples of a series reach each store in order
    fan_out = VmagentProcess(
        tmp_path / "vmagent",
        stack.remote_write_url,
        flags=[f"-remoteWrite.url={victoria.remote_write_url}", "-remoteWrite.queues=1"],
    ).start()
    try:
        target = demo_target_factory()
        testid = _run_all(stack, target, tmp_path, fan_out.remote_write_url)
        time.sleep(2)  # vmagent forwards every second
    finally:
        fan_out.stop()
    for url in (stack.prometheus_url, victoria.prometheus_url):
        _assert_every_query_returns_data(url, testid)


def _assert_every_query_returns_data(url: str, testid: str) -> None:
    # Generators mark their series stale at the end of a run: look back, as the panels do.
    start = prom_scalar(
        url, f'min(last_over_time(loadgen_run_start_timestamp_seconds{{testid="{testid}"}}[15m]))'
    )
    assert start is not None, f"no run start for {testid} in {url}"
    # Range steps are 5s apart: end a step past the gate's push so its verdict is seen, as a
    # dashboard refreshing a few seconds after the gate would.
    end = time.time() + 10
    range_seconds = int(end - start) + 30

    variable = substitute(
        TESTID_VARIABLE_QUERY.removeprefix("query_result(")[:-1],
        [testid],
        range_seconds=range_seconds,
    )
    runs = httpx.get(f"{url}/api/v1/query", params={"query": variable}, timeout=10).json()
    assert testid in [s["metric"].get("testid") for s in runs["data"]["result"]]

    empty, filled, checked = [], [], 0
    retry: dict[str, tuple[Any, str]] = {}
    for path, builder in build.DASHBOARDS.items():
        if path == HISTORY:  # reads run summaries: proven in test_history.py
            continue
        dashboard = builder()
        for query in [*panel_queries(dashboard), *annotation_queries(dashboard)]:
            expr = substitute(
                query.expr, [testid], range_seconds=range_seconds, rate_interval=RATE_INTERVAL
            )
            if query.panel in open_model.ONLY_OPEN_MODEL:
                # this closed, unpaced run has no iterations nor corrected latency: those
                # panels stay empty and say why (their data: test_open_model.py)
                if _has_data(url, query, expr, start, end):
                    filled.append(f"{query.where()}: {expr}")
                continue
            if is_level_query(expr) and "vector(" not in expr:
                continue  # a level with no default: none without a rule file (test_thresholds)
            checked += 1
            if not _has_data(url, query, expr, start, end):
                empty.append(f"{query.where()}: {expr}")
                retry[empty[-1]] = (query, expr)
    # VictoriaMetrics shows a new series (here vmalert's recording-rule results) only some
    # seconds after it was first asked for it (docs/stores.md): ask the empty ones again
    deadline = time.monotonic() + 20
    while empty and time.monotonic() < deadline:
        time.sleep(2)
        empty = [e for e in empty if not _has_data(url, *retry[e], start, end)]
    assert checked >= 70
    assert not empty, f"{url}: {len(empty)} of {checked} queries returned nothing:\n" + "\n".join(
        empty
    )
    assert not filled, "open-model panels show data of a closed run:\n" + "\n".join(filled)
