"""The local stack's lifecycle: `up`, `down` and `status` for the store (Prometheus, or
VictoriaMetrics with vmalert evaluating the rules), Alertmanager and, when installed,
Grafana, each a background process tracked by a PID file in the state dir.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from perfstack.core import processes
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.settings import (
    ALERTMANAGER,
    GRAFANA,
    HOST,
    PROMETHEUS,
    SERVICES,
    STACK_FILE,
    VICTORIA_METRICS,
    VMALERT,
    Service,
    StackSettings,
    missing_binary_error,
)
from perfstack.stack.configs import (
    evaluation_interval,
    render_alertmanager_config,
    render_grafana_provisioning,
    render_prometheus_config,
    rule_file_patterns,
)

GRAFANA_PASSWORD_ENV = "PERFSTACK_GRAFANA_ADMIN_PASSWORD"
GRAFANA_HOMES = ("/usr/share/grafana", "/usr/local/share/grafana")
# VictoriaMetrics hides samples newer than now - latencyOffset (default 30 s) from queries.
# The gate judges right after a run (at its end + settle, 5 s by default) and checks the
# store's totals against the run record, so an incomplete answer never passes: 0 lets it
# see the last push as soon as the store has made it searchable (about a second).
VM_LATENCY_OFFSET = "0s"


@dataclass(frozen=True)
class ServiceState:
    service: Service
    state: str  # running | stopped | dead | not installed
    pid: int | None = None
    url: str | None = None
    healthy: bool | None = None
    detail: str = ""


def find_binary(service: Service) -> str | None:
    for name in service.binaries:
        found = shutil.which(name)
        if found:
            return found
    return None


def port_is_free(port: int) -> bool:
    # SO_REUSEADDR as the Go services do, so a port in TIME_WAIT does not count as taken.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def is_ready(settings: StackSettings, service: Service, timeout: float = 1.0) -> bool:
    try:
        response = httpx.get(settings.url(service) + service.ready_path, timeout=timeout)
    except httpx.HTTPError:
        return False
    return response.status_code == 200


def _running_pid(settings: StackSettings, service: Service) -> int | None:
    pid = processes.read_pid(settings.pid_file(service))
    if pid is not None and processes.is_running(pid, service.binaries):
        return pid
    return None


def _argv(settings: StackSettings, service: Service, binary: str) -> list[str]:
    listen = f"{HOST}:{settings.port(service)}"
    data = settings.data_dir(service)
    if service is PROMETHEUS:
        return [
            binary,
            f"--config.file={render_prometheus_config(settings)}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address={listen}",
            "--web.enable-remote-write-receiver",
            "--web.enable-lifecycle",
        ]
    if service is ALERTMANAGER:
        config = settings.alertmanager_config or render_alertmanager_config(settings)
        return [
            binary,
            f"--config.file={config}",
            f"--storage.path={data}",
            f"--web.listen-address={listen}",
            "--cluster.listen-address=",
        ]
    if service is VICTORIA_METRICS:
        return [
            binary,
            f"-httpListenAddr={listen}",
            f"-storageDataPath={data}",
            f"-search.latencyOffset={VM_LATENCY_OFFSET}",
            # backfilled samples (a pytest-benchmark import, a late push) must not hide behind
            # a cached range result; a test stack's data is small enough to go uncached
            "-search.disableCache",
        ]
    if service is VMALERT:
        store = settings.url(VICTORIA_METRICS)
        return [
            binary,
            f"-httpListenAddr={listen}",
            f"-datasource.url={store}",
            f"-remoteWrite.url={store}",  # recording-rule results and alert state
            "-remoteWrite.flushInterval=1s",  # as often as the generators push (5 s default)
            f"-remoteRead.url={store}",  # alert state restored after a restart
            f"-notifier.url={settings.alertmanager_url}",
            f"-evaluationInterval={evaluation_interval()}",
            *(f"-rule={pattern}" for pattern in rule_file_patterns(settings)),
        ]
    home = next((h for h in GRAFANA_HOMES if Path(h).is_dir()), GRAFANA_HOMES[0])
    head = [binary, "server"] if Path(binary).name == "grafana" else [binary]
    return [*head, f"--homepath={home}"]


def _grafana_env(settings: StackSettings) -> dict[str, str]:
    password = os.environ.get(GRAFANA_PASSWORD_ENV)
    if not password:
        password_file = settings.state_dir / "grafana-admin-password"
        if not password_file.exists():
            password_file.write_text(secrets.token_urlsafe(18))
            password_file.chmod(0o600)
        password = password_file.read_text().strip()
    data = settings.data_dir(GRAFANA)
    return {
        **os.environ,
        "GF_SERVER_HTTP_ADDR": HOST,
        "GF_SERVER_HTTP_PORT": str(settings.port(GRAFANA)),
        "GF_PATHS_DATA": str(data),
        "GF_PATHS_LOGS": str(data / "log"),
        "GF_PATHS_PROVISIONING": str(render_grafana_provisioning(settings)),
        "GF_SECURITY_ADMIN_PASSWORD": password,
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
    }


def _wait_ready(settings: StackSettings, service: Service, pid: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        # Our own child: waitpid and the PID's existence are the truth here. (Matching the
        # binary name could race the child's execve.)
        code = processes.exit_code(pid)
        if code is not None or not processes.is_alive(pid):
            lines = processes.tail(settings.log_file(service), 3)
            raise PerfstackError(
                f"{service.title} exited during start (exit {code}); last log lines: "
                + " | ".join(lines)
                + f" (full log: {settings.log_file(service)})",
                ExitCode.SERVICE_START_FAILED,
            )
        if is_ready(settings, service, timeout=0.5):
            return
        time.sleep(0.1)
    raise PerfstackError(
        f"{service.title} did not become ready within {timeout:.0f}s "
        f"(see {settings.log_file(service)})",
        ExitCode.SERVICE_START_FAILED,
    )


def up(settings: StackSettings, timeout: float = 30.0) -> list[ServiceState]:
    """Start whatever is not running yet; leave running services alone."""
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    _refuse_other_store(settings)
    binaries = {service.key: find_binary(service) for service in settings.services}
    for service in settings.services:
        if service is not GRAFANA and binaries[service.key] is None:
            raise missing_binary_error(service)
    wanted = [s for s in settings.services if binaries[s.key] is not None]
    started: list[tuple[Service, int]] = []
    try:
        for service in wanted:
            if _running_pid(settings, service) is not None:
                continue
            settings.pid_file(service).unlink(missing_ok=True)
            if not port_is_free(settings.port(service)):
                raise PerfstackError(
                    f"port {settings.port(service)} ({service.title}) is already in use; "
                    f"choose another with {service.port_flag} or {service.port_env}",
                    ExitCode.PORT_IN_USE,
                )
            binary = binaries[service.key]
            assert binary is not None
            env = _grafana_env(settings) if service is GRAFANA else None
            pid = processes.start(_argv(settings, service, binary), settings.log_file(service), env)
            settings.pid_file(service).write_text(f"{pid}\n")
            started.append((service, pid))
        for service, pid in started:
            _wait_ready(settings, service, pid, timeout)
    except BaseException:
        for service, pid in started:
            processes.stop(pid, service.binaries)
            settings.pid_file(service).unlink(missing_ok=True)
        raise
    _write_stack_file(settings)
    return status(settings)


def _refuse_other_store(settings: StackSettings) -> None:
    """One store per state dir: `run`, `gate` and the rest read one URL from its stack file."""
    for service in (PROMETHEUS, VICTORIA_METRICS, VMALERT):
        if service in settings.services or _running_pid(settings, service) is None:
            continue
        raise PerfstackError(
            f"--store {settings.store}: {service.title} of another store is running in "
            f"{settings.state_dir}; stop it first with `perfstack down`",
            ExitCode.USAGE,
        )


def _write_stack_file(settings: StackSettings) -> None:
    record = {
        "store": settings.store,
        "ports": dict(settings.ports),
        "prometheus_url": settings.prometheus_url,
        "remote_write_url": settings.remote_write_url,
        "alertmanager_url": settings.alertmanager_url,
        "rules_url": settings.url(settings.rules_service),
        "webhook_port": settings.webhook_port,
        "grafana_url": settings.url(GRAFANA) if find_binary(GRAFANA) else None,
    }
    (settings.state_dir / STACK_FILE).write_text(json.dumps(record, indent=2) + "\n")


def status(settings: StackSettings) -> list[ServiceState]:
    """The store's services, and any other service a PID file says was started here."""
    states = []
    for service in SERVICES:
        if service not in settings.services and not settings.pid_file(service).exists():
            continue
        if find_binary(service) is None:
            states.append(ServiceState(service, "not installed"))
            continue
        pid = processes.read_pid(settings.pid_file(service))
        if pid is None:
            states.append(ServiceState(service, "stopped"))
        elif processes.is_running(pid, service.binaries):
            url = settings.url(service)
            states.append(ServiceState(service, "running", pid, url, is_ready(settings, service)))
        else:
            states.append(ServiceState(service, "dead", pid, detail="stale PID file"))
    return states


def down(settings: StackSettings) -> list[ServiceState]:
    """Stop what `up` started (by PID) and clean stale PID files; harmless when idle."""
    stopped = []
    for service in reversed(SERVICES):  # vmalert before the store it writes to
        pid_file = settings.pid_file(service)
        pid = processes.read_pid(pid_file)
        if pid is None:
            pid_file.unlink(missing_ok=True)
            continue
        was_running = processes.is_running(pid, service.binaries)
        processes.stop(pid, service.binaries)
        pid_file.unlink(missing_ok=True)
        stopped.append(ServiceState(service, "stopped" if was_running else "dead", pid))
    return stopped
