"""End to end on `perfstack up --store victoria-metrics`: `up --rules` reloads vmalert with
the gate rule file's alerts, `gate check` finds VictoriaMetrics through the stack file alone,
fails the run and pushes its verdict there, vmalert fires PerfstackGateFailed from our alert
rules and Alertmanager delivers it to the webhook behind `perfstack alerts listen`.

Timing: the stack evaluates rules every 5 s (prometheus.yml's interval, which vmalert takes
too); verdict alerts have no `for`; this test's Alertmanager waits 1 s before sending.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from perfstack.alerts.listen import WebhookReceiver
from perfstack.cli import main
from tests.gate.conftest import RunData
from tests.helpers import prom_query, wait_until, webhook_alertmanager_config

RULES = """
name: vm-e2e
objectives:
  - {name: error ratio, sli: error_ratio, pass: "<= 1%"}
"""


@pytest.mark.timeout(120)
def test_a_failed_gate_reaches_alertmanager_through_vmalert(
    stack_factory: Callable[..., Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES)
    with WebhookReceiver(port=0) as receiver:
        settings = stack_factory(
            store="victoria-metrics",
            alertmanager_config=webhook_alertmanager_config(tmp_path / "am.yml", receiver.url),
        )
        # in-process, as `perfstack ...` would run; the store comes from the stack file
        where = ("--state-dir", str(settings.state_dir))
        assert main(["up", "--rules", str(rules), *where]) == 0
        assert "alerts from gate rules: 1 rules in group" in capsys.readouterr().out
        vmalert = httpx.get(f"{settings.url(settings.rules_service)}/api/v1/rules", timeout=5)
        groups = {group["name"] for group in vmalert.json()["data"]["groups"]}
        assert {"perfstack-verdict", "perfstack-objectives-vm-e2e"} <= groups, groups

        run = RunData(settings, f"vm-e2e-{tmp_path.name[-12:]}")
        labels = {"name": "a", "method": "GET"}
        run.write(
            run.counter("loadgen_http_requests_total", 500, status="200", **labels),
            run.counter("loadgen_http_request_failures_total", 50, error_type="http_5xx", **labels),
        )
        run.record(requests=500, failures=50)
        # VictoriaMetrics makes new series searchable a moment after it took them; the gate
        # would say the run is incomplete (exit 3) before that (docs/stores.md)
        held = f'loadgen_http_requests_total{{testid="{run.testid}"}}[5m]'
        wait_until(lambda: prom_query(settings.prometheus_url, held), timeout=20, interval=0.5)
        out = tmp_path / "verdict.json"
        argv = ["gate", "check", "--rules", str(rules), "--testid", run.testid, "--json", str(out)]
        assert main([*argv, *where]) == 1, capsys.readouterr()
        (objective,) = json.loads(out.read_text())["objectives"]
        assert objective["status"] == "FAIL" and objective["value"] == pytest.approx(0.1)

        def gate_failed(notification: dict[str, Any]) -> bool:
            return any(
                alert["labels"].get("alertname") == "PerfstackGateFailed"
                and alert["labels"].get("testid") == run.testid
                for alert in notification["alerts"]
            )

        notification = receiver.wait_for(gate_failed, timeout=40)
        assert notification is not None, "Alertmanager delivered no PerfstackGateFailed"
    (alert,) = [
        a for a in notification["alerts"] if a["labels"]["alertname"] == "PerfstackGateFailed"
    ]
    assert alert["status"] == "firing" and alert["labels"]["severity"] == "critical"
    assert alert["annotations"]["summary"] == f"Gate failed for run {run.testid}"
    assert alert["annotations"]["runbook_url"].endswith("docs/runbook.md#perfstackgatefailed")
