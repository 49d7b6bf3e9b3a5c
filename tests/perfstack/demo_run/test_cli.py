"""`perfstack demo` end to end: stack, demo target, HTTP + WebSocket load, exporter, gate."""

from __future__ import annotations

import json
import re

from perfstack.testing import prom_query
from tests.fixtures.demo_run import DemoRun


def test_demo_ends_with_a_passing_verdict_and_where_to_look(demo_run: DemoRun) -> None:
    assert demo_run.returncode == 0, demo_run.stdout[-3000:] + demo_run.stderr[-3000:]
    assert re.search(r"^verdict\b.*\bPASS\b", demo_run.stdout, re.M | re.I), demo_run.stdout
    assert f"Prometheus:    {demo_run.prometheus_url}/graph?" in demo_run.stdout
    assert "Alertmanager:  http://127.0.0.1:" in demo_run.stdout
    assert f"load against http://127.0.0.1:{demo_run.target_port} " in demo_run.stdout


def test_demo_wrote_a_run_record_with_its_counts(demo_run: DemoRun) -> None:
    record = json.loads((demo_run.state_dir / "runs" / f"{demo_run.testid}.json").read_text())
    assert record["testid"] == demo_run.testid
    assert record["requests"] > 0
    total = prom_query(
        demo_run.prometheus_url,
        f'sum(last_over_time(loadgen_http_requests_total{{testid="{demo_run.testid}"}}[10m]))',
    )
    assert float(total[0]["value"][1]) == record["requests"]


def test_demo_pushed_http_websocket_and_exporter_series(demo_run: DemoRun) -> None:
    selector = f'{{testid="{demo_run.testid}"}}'
    for metric in (
        "loadgen_http_requests_total",
        "loadgen_ws_messages_sent_total",
        "exporter_target_resident_memory_bytes",
        "loadgen_run_info",
    ):
        found = prom_query(demo_run.prometheus_url, f"last_over_time({metric}{selector}[10m])")
        assert found, f"no {metric} for {demo_run.testid}"


def test_demo_stops_the_target_it_started(demo_run: DemoRun) -> None:
    assert not (demo_run.state_dir / "targets" / "demo-target.json").exists()


def test_demo_wrote_its_html_report_and_printed_where(demo_run: DemoRun) -> None:
    expected = demo_run.state_dir / "reports" / f"{demo_run.testid}.html"
    assert f"report:        {expected}\n" in demo_run.stdout
    assert expected.stat().st_size > 1_000_000  # BokehJS inlined: the page needs no network
