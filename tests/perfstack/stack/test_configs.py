"""Configs rendered for the local stack: Alertmanager's webhooks follow the webhook port;
Grafana's datasource follows the store."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from perfstack.alerts.listen import WebhookReceiver
from perfstack.core.ports import free_port
from perfstack.core.settings import DEFAULT_WEBHOOK_PORT, resolve_settings
from perfstack.stack.configs import render_alertmanager_config, render_grafana_provisioning


def test_every_local_webhook_posts_to_the_chosen_port(tmp_path: Path) -> None:
    settings = resolve_settings(tmp_path, environ={}, webhook_port=19123)
    rendered = yaml.safe_load(render_alertmanager_config(settings).read_text())
    urls = [w["url"] for r in rendered["receivers"] for w in r.get("webhook_configs", [])]
    assert urls and all(url.startswith("http://127.0.0.1:19123/") for url in urls)
    check = subprocess.run(
        ["amtool", "check-config", str(tmp_path / "alertmanager.yml")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_webhook_port_from_flag_then_environment_then_the_recorded_stack(tmp_path: Path) -> None:
    assert resolve_settings(tmp_path, environ={}).webhook_port == DEFAULT_WEBHOOK_PORT
    (tmp_path / "stack.json").write_text(json.dumps({"webhook_port": 19200}))
    assert resolve_settings(tmp_path, environ={}).webhook_port == 19200
    env = {"PERFSTACK_WEBHOOK_PORT": "19300"}
    assert resolve_settings(tmp_path, environ=env).webhook_port == 19300
    assert resolve_settings(tmp_path, environ=env, webhook_port=19400).webhook_port == 19400


def test_a_stack_on_its_own_webhook_port_delivers_there(stack_factory: Any) -> None:
    port = free_port()
    with WebhookReceiver(port=port) as receiver:
        settings = stack_factory(webhook_port=port)
        alert = {
            "labels": {"alertname": "PerfstackProbe", "severity": "critical", "testid": "t-wh"},
            "annotations": {"summary": "probe"},
        }
        httpx.post(f"{settings.alertmanager_url}/api/v2/alerts", json=[alert], timeout=5)
        deadline = time.monotonic() + 30
        notification = None
        while notification is None and time.monotonic() < deadline:
            notification = receiver.next(timeout=1.0)
    assert notification is not None, "no notification on the stack's webhook port"
    assert notification["alerts"][0]["labels"]["alertname"] == "PerfstackProbe"
    recorded = json.loads((settings.state_dir / "stack.json").read_text())
    assert recorded["webhook_port"] == port


def test_grafana_reads_victoria_metrics_as_its_prometheus_datasource(tmp_path: Path) -> None:
    settings = resolve_settings(tmp_path, environ={}, store="victoria-metrics")
    provisioning = render_grafana_provisioning(settings)
    (datasource,) = yaml.safe_load((provisioning / "datasources" / "perfstack.yml").read_text())[
        "datasources"
    ]
    assert datasource["type"] == "prometheus"
    assert datasource["url"] == settings.prometheus_url == "http://127.0.0.1:8428"
