"""The dashboards' threshold lines, run against a real Prometheus: without a rule file they
are config.py's defaults; with two teams' rule files loaded (the recording rules
`perfstack gate alerts` generates) they are the strictest of the teams' levels."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gate.alert_rules import build_alerts, render_rules
from gate.rules import parse_rules
from perfstack.mixin import config as c
from perfstack.mixin import overview, resources, runs, websocket
from perfstack.mixin.thresholds import is_level_query, level, level_part
from perfstack.testing.prometheus import PrometheusProcess
from tests.helpers import prom_query, wait_until

TEAM = """
name: team
objectives:
  - {name: p95, sli: latency_p95, pass: "< 2s", warn: "< 3s"}
  - {name: login p95, sli: latency_p95, request: "POST /login", pass: "< 800ms"}
  - {name: errors, sli: error_ratio, pass: "< 1%"}
  - {name: rtt, sli: ws_rtt_p95, pass: "< 150ms"}
  - {name: rss, sli: memory_peak, target: api, pass: "< 512MB"}
  - {name: cpu, sli: cpu_utilization, pass: "< 80%"}
  - {name: drops, sli: dropped_iterations_ratio, pass: "<= 0", warn: "<= 0.5%"}
  - {name: p95 corrected, sli: latency_p95, corrected: true, pass: "< 1s"}
"""
STRICTER = """
name: other-team
objectives:
  - {name: p95, sli: latency_p95, pass: "< 1.5s"}
"""


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    workdir = tmp_path_factory.mktemp("levels")
    (workdir / "rules").mkdir()
    prom = PrometheusProcess(
        workdir,
        evaluation_interval="1s",
        rule_files=[workdir / "rules" / "*.rules.yml"],
        flags=["--web.enable-lifecycle"],
    ).start()
    yield prom
    prom.stop()


def _value(url: str, expr: str) -> float | None:
    result = prom_query(url, expr)
    assert len(result) <= 1, result  # a line is one series
    return float(result[0]["value"][1]) if result else None


def _level_queries() -> dict[tuple[str, str], str]:
    found = {}
    for board in (overview, resources, runs, websocket):
        for panel in board.build()["panels"]:
            for target in panel.get("targets", []):
                if is_level_query(target["expr"]):
                    # a line drawn only beside the panel's data (open model): its level
                    # here, the condition in test_open_model.py against a real run
                    found[(panel["title"], target["refId"])] = level_part(target["expr"])
    return found


def _load(prom: PrometheusProcess, texts: list[str]) -> None:
    rules = prom.workdir / "rules"
    for old in rules.iterdir():
        old.unlink()
    for index, text in enumerate(texts):
        alerts = build_alerts(parse_rules(text, f"r{index}.yaml"))
        (rules / f"{index}.rules.yml").write_text(render_rules(alerts))
    assert httpx.post(f"{prom.url}/-/reload", timeout=10).status_code == 200


def test_the_dashboards_draw_the_defaults_then_the_strictest_loaded_level(
    prometheus: PrometheusProcess,
) -> None:
    queries = _level_queries()
    by_title = {title: expr for (title, _ref), expr in queries.items()}
    # every panel named in the brief draws a level
    assert {
        "p95 latency",
        "Error ratio",
        "Latency p50 / p95 / p99",
        "p95 latency by name",
        "p95 per run (exact)",
        "RTT p95",
        "Round-trip time",
        "Resident memory (RSS)",
        "Target CPU (share of one core)",
        "Dropped ratio",
        "Latency observed vs corrected (p95 / p99)",
    } <= set(by_title)
    url = prometheus.url

    _load(prometheus, [])
    defaults = {
        "p95 latency": c.LATENCY_SLA_SECONDS,
        "Latency p50 / p95 / p99": c.LATENCY_SLA_SECONDS,
        "p95 latency by name": c.LATENCY_SLA_SECONDS,
        "p95 per run (exact)": c.LATENCY_SLA_SECONDS,
        "Error ratio": c.ERROR_RATIO_MAX,
        "RTT p95": None,  # config has no default: no line until a rule file sets one
        "Round-trip time": None,
        "Resident memory (RSS)": None,
        "Target CPU (share of one core)": None,
        "Dropped ratio": c.DROPPED_ITERATIONS_RATIO_MAX,  # the FAIL boundary: the warn level
        "Latency observed vs corrected (p95 / p99)": c.LATENCY_SLA_SECONDS,
    }
    for (title, ref), expr in queries.items():
        assert _value(url, expr) == defaults[title], (title, ref, expr)

    _load(prometheus, [TEAM, STRICTER])
    wait_until(lambda: _value(url, level("cpu_utilization", None)) is not None, timeout=15)
    wait_until(lambda: _value(url, level("latency_p95", None)) == 1.5, timeout=15)
    loaded = {
        "p95 latency": 1.5,  # the other team's stricter whole-run p95
        "Latency p50 / p95 / p99": 1.5,
        "p95 latency by name": 0.8,  # the per-request level counts on the per-request panel
        "p95 per run (exact)": 1.5,
        "Error ratio": 0.01,
        "RTT p95": 0.15,
        "Round-trip time": 0.15,
        "Resident memory (RSS)": 512e6,
        "Target CPU (share of one core)": 0.8,
        "Dropped ratio": 0.005,
        "Latency observed vs corrected (p95 / p99)": 1.0,  # corrected: its own level
    }
    for (title, ref), expr in queries.items():
        assert _value(url, expr) == pytest.approx(loaded[title]), (title, ref, expr)

    # the warn level is published beside pass, and a rule file unloaded restores the default
    assert _value(url, level("latency_p95", None, level_name="warn")) == 3.0
    _load(prometheus, [TEAM])
    wait_until(lambda: _value(url, level("latency_p95", None)) == 2.0, timeout=15)
    _load(prometheus, [])
    wait_until(lambda: _value(url, queries[("p95 latency", "B")]) == c.LATENCY_SLA_SECONDS)
