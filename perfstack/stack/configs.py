"""Configuration files rendered for the local stack from the repository's own.

docker-compose uses prometheus/prometheus.yml as it is. The local stack needs the same
file with local addresses: Alertmanager and Prometheus on 127.0.0.1 and their chosen
ports, rule files as absolute paths (plus the alerts `up --rules` generated from a gate rule
file), and file_sd targets in the state directory (where `perfstack target` registers
itself).
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml

from perfstack.core import paths
from perfstack.core.settings import HOST, StackSettings
from perfstack.core.state import targets_dir
from perfstack.stack.gate_alerts import PATTERN as GATE_ALERTS_PATTERN
from perfstack.stack.gate_alerts import gate_alerts_dir


def rule_file_patterns(settings: StackSettings, source: Path | None = None) -> list[str]:
    """prometheus.yml's rule files as absolute globs, and the alerts `up --rules` wrote:
    what Prometheus loads, and what vmalert evaluates for VictoriaMetrics."""
    source = source or paths.prometheus_dir() / "prometheus.yml"
    config: dict[str, Any] = yaml.safe_load(source.read_text())
    return [
        str((source.parent / pattern).resolve()) for pattern in config.get("rule_files", [])
    ] + [str(gate_alerts_dir(settings.state_dir).resolve() / GATE_ALERTS_PATTERN)]


def evaluation_interval(source: Path | None = None) -> str:
    """prometheus.yml's global evaluation interval, so vmalert evaluates as often."""
    source = source or paths.prometheus_dir() / "prometheus.yml"
    config: dict[str, Any] = yaml.safe_load(source.read_text())
    return str((config.get("global") or {}).get("evaluation_interval", "1m"))


def render_prometheus_config(settings: StackSettings, source: Path | None = None) -> Path:
    source = source or paths.prometheus_dir() / "prometheus.yml"
    config: dict[str, Any] = yaml.safe_load(source.read_text())
    config["rule_files"] = rule_file_patterns(settings, source)
    config["alerting"] = {
        "alertmanagers": [
            {"static_configs": [{"targets": [f"{HOST}:{settings.ports['alertmanager']}"]}]}
        ]
    }
    for job in config.get("scrape_configs", []):
        if job.get("job_name") == "prometheus":
            job["static_configs"] = [{"targets": [f"{HOST}:{settings.ports['prometheus']}"]}]
        for file_sd in job.get("file_sd_configs", []):
            file_sd["files"] = [
                str(targets_dir(settings.state_dir) / Path(f).name) for f in file_sd["files"]
            ]
    targets_dir(settings.state_dir).mkdir(parents=True, exist_ok=True)
    rendered = settings.state_dir / "prometheus.yml"
    rendered.write_text(
        "# Rendered by `perfstack up` from "
        + str(source)
        + "; edit that file instead.\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    return rendered


def render_alertmanager_config(settings: StackSettings, source: Path | None = None) -> Path:
    """alerts/alertmanager.yml with its webhook receivers on the stack's webhook port, so
    two stacks on one machine each notify their own `perfstack alerts listen`."""
    source = source or paths.alerts_dir() / "alertmanager.yml"
    config: dict[str, Any] = yaml.safe_load(source.read_text())
    for receiver in config.get("receivers", []):
        for webhook in receiver.get("webhook_configs", []):
            parts = urlsplit(webhook["url"])
            if parts.hostname == HOST:
                netloc = f"{HOST}:{settings.webhook_port}"
                webhook["url"] = urlunsplit(parts._replace(netloc=netloc))
    rendered = settings.state_dir / "alertmanager.yml"
    rendered.write_text(
        "# Rendered by `perfstack up` from "
        + str(source)
        + "; edit that file instead.\n"
        + yaml.safe_dump(config, sort_keys=False)
    )
    return rendered


def render_grafana_provisioning(settings: StackSettings) -> Path:
    """Copy grafana/provisioning with the datasource and dashboard paths made local."""
    source = paths.grafana_dir() / "provisioning"
    target = settings.state_dir / "grafana-provisioning"
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(source, target)
    for path in (target / "datasources").glob("*.y*ml"):
        document = yaml.safe_load(path.read_text()) or {}
        for datasource in document.get("datasources", []):
            if datasource.get("type") == "prometheus":
                datasource["url"] = settings.prometheus_url
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    for path in (target / "dashboards").glob("*.y*ml"):
        document = yaml.safe_load(path.read_text()) or {}
        for provider in document.get("providers", []):
            provider.setdefault("options", {})["path"] = str(paths.grafana_dir() / "dashboards")
        path.write_text(yaml.safe_dump(document, sort_keys=False))
    return target
