"""Ports, addresses and files of the local stack, from flags, environment and the last `up`.

Precedence for each port: command-line flag, then environment variable, then the port
recorded by the last `perfstack up` in the state directory (so `status` and `down` find a
stack started on other ports), then the usual default. The store (Prometheus, or
VictoriaMetrics with vmalert evaluating the rules) follows the same precedence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.state import default_state_dir

HOST = "127.0.0.1"
STACK_FILE = "stack.json"


DEFAULT_WEBHOOK_PORT = 9095
WEBHOOK_PORT_ENV = "PERFSTACK_WEBHOOK_PORT"


@dataclass(frozen=True)
class Service:
    key: str
    title: str
    binaries: tuple[str, ...]
    package: str
    default_port: int
    ready_path: str

    @property
    def port_flag(self) -> str:
        return f"--{self.key}-port"

    @property
    def port_env(self) -> str:
        return f"PERFSTACK_{self.key.upper()}_PORT"


PROMETHEUS = Service("prometheus", "Prometheus", ("prometheus",), "prometheus", 9090, "/-/ready")
ALERTMANAGER = Service(
    "alertmanager",
    "Alertmanager",
    ("prometheus-alertmanager", "alertmanager"),
    "prometheus-alertmanager",
    9093,
    "/-/ready",
)
GRAFANA = Service(
    "grafana", "Grafana", ("grafana", "grafana-server"), "grafana", 3000, "/api/health"
)
VICTORIA_METRICS = Service(
    "victoriametrics",
    "VictoriaMetrics",
    ("victoria-metrics", "victoria-metrics-prod"),
    "victoria-metrics",
    8428,
    "/health",
)
VMALERT = Service(
    "vmalert", "vmalert", ("vmalert", "vmalert-prod"), "victoria-metrics", 8880, "/health"
)
# every service either store may start: ports, PID files and `down` cover them all
SERVICES = (PROMETHEUS, ALERTMANAGER, GRAFANA, VICTORIA_METRICS, VMALERT)

PROMETHEUS_STORE = "prometheus"
VICTORIA_METRICS_STORE = "victoria-metrics"
STORES = (PROMETHEUS_STORE, VICTORIA_METRICS_STORE)
STORE_ENV = "PERFSTACK_STORE"
# the services each store runs, in start order (Grafana is added when installed)
STORE_SERVICES = {
    PROMETHEUS_STORE: (PROMETHEUS, ALERTMANAGER, GRAFANA),
    VICTORIA_METRICS_STORE: (VICTORIA_METRICS, ALERTMANAGER, VMALERT, GRAFANA),
}


@dataclass(frozen=True)
class StackSettings:
    state_dir: Path
    ports: Mapping[str, int]
    alertmanager_config: Path | None = None
    # where Alertmanager's webhook receivers post (`perfstack alerts listen`), on 127.0.0.1
    webhook_port: int = DEFAULT_WEBHOOK_PORT
    store: str = PROMETHEUS_STORE

    def port(self, service: Service) -> int:
        return self.ports[service.key]

    def url(self, service: Service) -> str:
        return f"http://{HOST}:{self.port(service)}"

    @property
    def services(self) -> tuple[Service, ...]:
        return STORE_SERVICES[self.store]

    @property
    def store_service(self) -> Service:
        """The service that takes remote write and answers the Prometheus query API."""
        return VICTORIA_METRICS if self.store == VICTORIA_METRICS_STORE else PROMETHEUS

    @property
    def rules_service(self) -> Service:
        """The service that evaluates recording and alerting rules (and reloads them)."""
        return VMALERT if self.store == VICTORIA_METRICS_STORE else PROMETHEUS

    @property
    def prometheus_url(self) -> str:
        """The Prometheus-compatible query API, whichever store runs it."""
        return self.url(self.store_service)

    @property
    def remote_write_url(self) -> str:
        return f"{self.prometheus_url}/api/v1/write"

    @property
    def alertmanager_url(self) -> str:
        return self.url(ALERTMANAGER)

    def pid_file(self, service: Service) -> Path:
        return self.state_dir / f"{service.key}.pid"

    def log_file(self, service: Service) -> Path:
        return self.state_dir / f"{service.key}.log"

    def data_dir(self, service: Service) -> Path:
        return self.state_dir / f"{service.key}-data"


def _parse_port(value: Any, source: str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        raise PerfstackError(f"{source}: expected a port number, got {value!r}") from None
    if not 1 <= port <= 65535:
        raise PerfstackError(f"{source}: expected a port number 1-65535, got {port}")
    return port


def recorded_stack(state_dir: Path) -> dict[str, Any]:
    """What the last `perfstack up` wrote to `<state_dir>/stack.json`, or {}."""
    try:
        data = json.loads((state_dir / STACK_FILE).read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data if isinstance(data, dict) else {}


def resolve_settings(
    state_dir: Path | None = None,
    ports: Mapping[str, int | None] | None = None,
    alertmanager_config: Path | None = None,
    environ: Mapping[str, str] | None = None,
    webhook_port: int | None = None,
    store: str | None = None,
) -> StackSettings:
    environ = os.environ if environ is None else environ
    state_dir = (state_dir or default_state_dir()).resolve()
    recorded = recorded_stack(state_dir).get("ports", {})
    resolved: dict[str, int] = {}
    for service in SERVICES:
        flag_value = (ports or {}).get(service.key)
        if flag_value is not None:
            resolved[service.key] = _parse_port(flag_value, service.port_flag)
        elif environ.get(service.port_env):
            resolved[service.key] = _parse_port(environ[service.port_env], service.port_env)
        elif service.key in recorded:
            resolved[service.key] = _parse_port(recorded[service.key], str(state_dir / STACK_FILE))
        else:
            resolved[service.key] = service.default_port
    stack = recorded_stack(state_dir)
    if webhook_port is not None:
        webhook = _parse_port(webhook_port, "--webhook-port")
    elif environ.get(WEBHOOK_PORT_ENV):
        webhook = _parse_port(environ[WEBHOOK_PORT_ENV], WEBHOOK_PORT_ENV)
    elif "webhook_port" in stack:
        webhook = _parse_port(stack["webhook_port"], str(state_dir / STACK_FILE))
    else:
        webhook = DEFAULT_WEBHOOK_PORT
    chosen = _store(store, environ, stack, state_dir)
    return StackSettings(state_dir, resolved, alertmanager_config, webhook, chosen)


def _store(
    flag: str | None, environ: Mapping[str, str], stack: Mapping[str, Any], state_dir: Path
) -> str:
    for value, source in (
        (flag, "--store"),
        (environ.get(STORE_ENV), STORE_ENV),
        (stack.get("store"), str(state_dir / STACK_FILE)),
    ):
        if value:
            if value not in STORES:
                raise PerfstackError(
                    f"{source}: expected one of {', '.join(STORES)}, got {value!r}"
                )
            return str(value)
    return PROMETHEUS_STORE


PROMETHEUS_URL_ENV = "PERFSTACK_PROMETHEUS_URL"


def prometheus_url_default(state_dir: Path | None = None) -> str:
    """The Prometheus URL other commands use when none is given."""
    return prometheus_url_and_source(None, state_dir)[0]


def prometheus_url_and_source(
    flag_value: str | None, state_dir: Path | None = None, flag: str = "--prometheus"
) -> tuple[str, str]:
    """The query API's URL and where it came from (`flag`, the environment variable, the
    stack file, the default), for an error message that says what to change."""
    if flag_value:
        return flag_value.rstrip("/"), flag
    explicit = os.environ.get(PROMETHEUS_URL_ENV)
    if explicit:
        return explicit.rstrip("/"), PROMETHEUS_URL_ENV
    stack_dir = (state_dir or default_state_dir()).resolve()
    url = recorded_stack(stack_dir).get("prometheus_url")
    if url:
        return str(url).rstrip("/"), f"the store of `perfstack up` ({stack_dir / STACK_FILE})"
    default = f"http://{HOST}:{PROMETHEUS.default_port}"
    return default, f"the default (no {flag}, {PROMETHEUS_URL_ENV} or `perfstack up`)"


def missing_binary_error(service: Service) -> PerfstackError:
    return PerfstackError(
        f"{service.binaries[0]} not found on PATH; install it with: "
        f"apt-get install {service.package}",
        ExitCode.BINARY_MISSING,
    )
