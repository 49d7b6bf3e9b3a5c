"""A FAIL verdict's alert survives an Alertmanager outage (real Prometheus, gate and
Alertmanager).

The gate pushes its verdict once. Scaled down through Prometheus's own flags (the
production rule is loaded unchanged): lookback 3 s instead of 5 min, rules evaluated every
second, firing alerts re-sent every second instead of every minute. Alertmanager's port has
nothing listening when the gate pushes; it starts five lookback periods later. The rule
as it was before (an instant selector, i.e. the lookback) is loaded beside it under another
name: it fires, then loses the verdict once it is older than the lookback, while
PerfstackGateFailed (the verdict over 30m) is still firing and is delivered.
"""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from perfstack.alerts.listen import WebhookReceiver
from perfstack.cli import main
from perfstack.core import paths, processes
from perfstack.core.settings import ALERTMANAGER
from perfstack.stack.lifecycle import find_binary
from perfstack.testing import PrometheusProcess, free_port
from tests.gate.conftest import RunData, write_rules
from tests.helpers import wait_until, webhook_alertmanager_config

LOOKBACK_SECONDS = 3
# PerfstackGateFailed's expression before the verdict window: an instant selector, which
# sees the pushed sample only for the lookback.
LOOKBACK_RULE = "LookbackGateFailed"
LOOKBACK_RULES = {
    "groups": [
        {
            "name": "before-the-verdict-window",
            "rules": [
                {
                    "alert": LOOKBACK_RULE,
                    "expr": 'max by (testid, scenario) (gate_overall_status{status="FAIL"}) == 1',
                }
            ],
        }
    ]
}
FAILING_RULES = """
name: errors
objectives:
  - {name: errors, sli: error_ratio, pass: "< 1%", key: true}
"""


def _firing(prometheus_url: str, testid: str) -> set[str]:
    alerts = httpx.get(f"{prometheus_url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return {
        a["labels"]["alertname"]
        for a in alerts
        if a["labels"].get("testid") == testid and a["state"] == "firing"
    }


def _notification_errors(prometheus_url: str) -> float:
    """Prometheus's count of failed sends to Alertmanager (its own /metrics)."""
    text = httpx.get(f"{prometheus_url}/metrics", timeout=5).text
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        if family.name == "prometheus_notifications_errors"
        for sample in family.samples
        if sample.name == "prometheus_notifications_errors_total"
    )


@pytest.mark.slow
@pytest.mark.timeout(120)
@pytest.mark.skipif(find_binary(ALERTMANAGER) is None, reason="alertmanager not installed")
def test_a_fail_verdict_is_delivered_after_an_alertmanager_outage(
    tmp_path: Path, testid: str
) -> None:
    lookback_rules = tmp_path / "lookback.rules.yml"
    lookback_rules.write_text(yaml.safe_dump(LOOKBACK_RULES))
    alertmanager_port = free_port()  # nothing listens here until the outage ends
    prometheus = PrometheusProcess(
        tmp_path / "prometheus",
        evaluation_interval="1s",
        rule_files=[paths.alerts_dir() / "perfstack.rules.yml", lookback_rules],
        alertmanager=f"127.0.0.1:{alertmanager_port}",
        flags=[f"--query.lookback-delta={LOOKBACK_SECONDS}s", "--rules.alert.resend-delay=1s"],
    ).start()
    alertmanager_pid: int | None = None
    try:
        state_dir = tmp_path / "state"
        run = RunData(
            SimpleNamespace(remote_write_url=prometheus.remote_write_url, state_dir=state_dir),
            testid,
        )
        run.write(
            run.counter("loadgen_http_requests_total", 500, name="a", method="GET", status="200"),
            run.counter(
                "loadgen_http_request_failures_total",
                50,
                name="a",
                method="GET",
                error_type="http_5xx",
            ),
        )
        run.record(requests=500, failures=50)
        code = main(
            [
                "gate",
                "check",
                "--rules",
                str(write_rules(tmp_path, FAILING_RULES)),
                "--testid",
                testid,
                "--prometheus",
                prometheus.url,
                "--state-dir",
                str(state_dir),
            ]
        )
        pushed_at = time.monotonic()
        assert code == 1  # FAIL, and the verdict pushed to this Prometheus

        both = {"PerfstackGateFailed", LOOKBACK_RULE}
        wait_until(lambda: _firing(prometheus.url, testid) >= both, timeout=10)
        # the old rule loses the verdict once it is older than the lookback ...
        wait_until(lambda: LOOKBACK_RULE not in _firing(prometheus.url, testid), timeout=15)
        time.sleep(max(0.0, pushed_at + 5 * LOOKBACK_SECONDS - time.monotonic()))
        # ... five lookbacks on, the verdict alert still fires, Prometheus has been failing
        # to reach Alertmanager all along
        assert _firing(prometheus.url, testid) == {"PerfstackGateFailed"}
        assert _notification_errors(prometheus.url) > 0

        seen: list[dict[str, Any]] = []

        def gate_failed(notification: dict[str, Any]) -> bool:
            seen.append(notification)
            return any(
                a["labels"].get("alertname") == "PerfstackGateFailed"
                and a["labels"].get("testid") == testid
                for a in notification["alerts"]
            )

        with WebhookReceiver(port=0) as receiver:
            binary = find_binary(ALERTMANAGER)
            assert binary is not None
            config = webhook_alertmanager_config(tmp_path / "am.yml", receiver.url)
            alertmanager_pid = processes.start(
                [
                    binary,
                    f"--config.file={config}",
                    f"--storage.path={tmp_path / 'am-data'}",
                    f"--web.listen-address=127.0.0.1:{alertmanager_port}",
                    "--cluster.listen-address=",
                ],
                tmp_path / "alertmanager.log",
            )
            notification = receiver.wait_for(gate_failed, timeout=30)
        assert notification is not None, (
            "no notification after Alertmanager came back: "
            + (tmp_path / "alertmanager.log").read_text()[-2000:]
        )
    finally:
        if alertmanager_pid is not None:
            processes.stop(alertmanager_pid, ALERTMANAGER.binaries)
        prometheus.stop()

    (alert,) = [a for a in notification["alerts"] if a["labels"]["testid"] == testid]
    assert alert["status"] == "firing"
    assert alert["labels"]["alertname"] == "PerfstackGateFailed"
    assert alert["labels"]["severity"] == "critical"
    assert alert["annotations"]["summary"] == f"Gate failed for run {testid}"
    # the rule that read the lookback had long resolved: it never reached anyone
    assert not [
        a
        for n in seen
        for a in n["alerts"]
        if a["labels"]["alertname"] == LOOKBACK_RULE and a["status"] == "firing"
    ]
