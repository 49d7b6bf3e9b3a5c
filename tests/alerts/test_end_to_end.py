"""End to end with the real binaries: a healthy run, a run with added latency, the gate
fails against the healthy run, Prometheus fires the regression alert, Alertmanager delivers
it to the webhook receiver behind `perfstack alerts listen`.

Timing: the local stack evaluates rules every 5s; verdict alerts have no `for`; this test's
Alertmanager config waits 1s before sending a group (the repo's waits 5s for critical).
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

from perfstack.alerts.listen import WebhookReceiver
from tests.helpers import wait_until, webhook_alertmanager_config

HERE = Path(__file__).resolve().parent
RUN_SECONDS = 8


def _perfstack(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perfstack", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _load(target_url: str, testid: str, settings: Any) -> None:
    result = _perfstack(
        "run",
        "-f",
        HERE / "locustfile_e2e.py",
        "--host",
        target_url,
        "--users",
        5,
        "--spawn-rate",
        5,
        "--duration",
        f"{RUN_SECONDS}s",
        "--testid",
        testid,
        "--prometheus",
        settings.prometheus_url,
        "--state-dir",
        settings.state_dir,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def _firing(prometheus_url: str, alertname: str, testid: str) -> bool:
    alerts = httpx.get(f"{prometheus_url}/api/v1/alerts", timeout=5).json()["data"]["alerts"]
    return any(
        a["labels"].get("alertname") == alertname
        and a["labels"].get("testid") == testid
        and a["state"] == "firing"
        for a in alerts
    )


@pytest.mark.slow(seconds=30)
@pytest.mark.timeout(240)
def test_latency_regression_reaches_the_webhook(
    stack_factory: Callable[..., Any], demo_target_factory: Callable[..., Any], tmp_path: Path
) -> None:
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    healthy, slow = f"e2e-healthy-{stamp}", f"e2e-slow-{stamp}"
    with WebhookReceiver(port=0) as receiver:
        settings = stack_factory(
            alertmanager_config=webhook_alertmanager_config(tmp_path / "am.yml", receiver.url)
        )
        target = demo_target_factory()
        _load(target.url, healthy, settings)
        target.set_knobs(latency_ms=150)
        _load(target.url, slow, settings)

        gate = _perfstack(
            "gate",
            "check",
            "--rules",
            HERE / "regression_rules.yaml",
            "--testid",
            slow,
            "--baseline-testid",
            healthy,
            "--prometheus",
            settings.prometheus_url,
            "--state-dir",
            settings.state_dir,
        )
        assert gate.returncode == 1, gate.stdout[-3000:] + gate.stderr[-2000:]

        wait_until(
            lambda: _firing(settings.prometheus_url, "PerfstackGateRegression", slow),
            timeout=30,
            interval=0.5,
        )

        def regression_for_slow_run(notification: dict[str, Any]) -> bool:
            return any(
                a["labels"].get("alertname") == "PerfstackGateRegression"
                and a["labels"].get("testid") == slow
                for a in notification["alerts"]
            )

        notification = receiver.wait_for(regression_for_slow_run, timeout=30)
        assert notification is not None, "Alertmanager delivered no regression notification"
    (alert,) = [
        a for a in notification["alerts"] if a["labels"]["alertname"] == "PerfstackGateRegression"
    ]
    assert alert["status"] == "firing"
    assert alert["labels"]["testid"] == slow
    assert alert["labels"]["severity"] == "critical"
    assert alert["labels"]["objective"] == "p95 latency"
    assert alert["annotations"]["summary"] == f"Run {slow} regressed on p95 latency"
    assert alert["annotations"]["runbook_url"].endswith("docs/runbook.md#perfstackgateregression")
    assert notification["groupLabels"]["testid"] == slow
