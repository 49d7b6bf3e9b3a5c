"""`perfstack up | down | status` against the real Prometheus and Alertmanager binaries."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest
import yaml
from prometheus_client import CollectorRegistry, Gauge

from perfstack.cli import main
from perfstack.core.errors import ExitCode
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from perfstack.testing import free_port
from tests.helpers import prom_scalar, wait_until
from tests.perfstack.cli_runner import run_cli


class LocalStack:
    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.prometheus_port = free_port()
        self.alertmanager_port = free_port()

    def args(self) -> list[str]:
        return [
            "--state-dir",
            str(self.state_dir),
            "--prometheus-port",
            str(self.prometheus_port),
            "--alertmanager-port",
            str(self.alertmanager_port),
        ]

    def cli(self, command: str, *extra: str, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
        return run_cli(command, *self.args(), *extra, env=env)

    def pid(self, service: str) -> int:
        return int((self.state_dir / f"{service}.pid").read_text())

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.alertmanager_port}"


def listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def gone(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


@pytest.fixture
def local_stack(tmp_path: Path) -> Iterator[LocalStack]:
    local = LocalStack(tmp_path / "state")
    yield local
    local.cli("down")


def test_up_starts_both_services_ready_and_status_reports_them(local_stack: LocalStack) -> None:
    result = local_stack.cli("up")
    assert result.returncode == 0, result.stderr
    for url in (local_stack.prometheus_url, local_stack.alertmanager_url):
        assert httpx.get(f"{url}/-/ready", timeout=5).status_code == 200
        assert url in result.stdout

    status = local_stack.cli("status")
    assert status.returncode == ExitCode.OK, status.stdout + status.stderr
    lines = {line.split()[0]: line for line in status.stdout.splitlines()}
    assert f"pid {local_stack.pid('prometheus')}" in lines["prometheus"]
    assert "running" in lines["prometheus"] and "healthy" in lines["prometheus"]
    assert f"pid {local_stack.pid('alertmanager')}" in lines["alertmanager"]
    assert "running" in lines["alertmanager"] and "healthy" in lines["alertmanager"]
    if shutil.which("grafana") is None and shutil.which("grafana-server") is None:
        assert "not installed" in lines["grafana"] and "docker compose up" in lines["grafana"]


def test_sample_pushed_by_remote_write_is_queryable(local_stack: LocalStack) -> None:
    assert local_stack.cli("up").returncode == 0
    registry = CollectorRegistry()
    Gauge("foundation_probe_value", "probe", registry=registry).set(42.5)
    config = PushConfig(
        url=f"{local_stack.prometheus_url}/api/v1/write",
        labels={"testid": "foundation-probe", "scenario": "t", "generator": "test"},
    )
    pusher = RemoteWritePusher(registry, config)
    assert pusher.flush(timeout=10)
    value = wait_until(
        lambda: prom_scalar(
            local_stack.prometheus_url, 'foundation_probe_value{testid="foundation-probe"}'
        ),
        timeout=10,
    )
    assert value == 42.5


def test_local_prometheus_loads_the_repository_rules_and_alertmanager(
    local_stack: LocalStack,
) -> None:
    assert local_stack.cli("up").returncode == 0
    rendered = local_stack.state_dir / "prometheus.yml"
    check = subprocess.run(["promtool", "check", "config", str(rendered)], capture_output=True)
    assert check.returncode == 0, check.stdout + check.stderr
    url = local_stack.prometheus_url

    def alertmanager_seen() -> list[object]:
        body = httpx.get(f"{url}/api/v1/alertmanagers", timeout=5).json()
        return list(body["data"]["activeAlertmanagers"])

    active = wait_until(alertmanager_seen, timeout=15)
    assert f"127.0.0.1:{local_stack.alertmanager_port}" in str(active)
    rule_files = {
        group["file"] for group in httpx.get(f"{url}/api/v1/rules").json()["data"]["groups"]
    }
    repo = Path(__file__).resolve().parents[3]
    expected = {
        str(p) for p in [*repo.glob("prometheus/rules/*.yml"), *repo.glob("alerts/*.rules.yml")]
    }
    assert rule_files == expected


def test_second_up_is_harmless(local_stack: LocalStack) -> None:
    assert local_stack.cli("up").returncode == 0
    pids = (local_stack.pid("prometheus"), local_stack.pid("alertmanager"))
    again = local_stack.cli("up")
    assert again.returncode == 0, again.stderr
    assert (local_stack.pid("prometheus"), local_stack.pid("alertmanager")) == pids
    assert all(not gone(pid) for pid in pids)


def test_down_leaves_no_process_and_no_listener(local_stack: LocalStack) -> None:
    assert local_stack.cli("up").returncode == 0
    pids = [local_stack.pid("prometheus"), local_stack.pid("alertmanager")]
    result = local_stack.cli("down")
    assert result.returncode == 0, result.stderr
    assert all(gone(pid) for pid in pids)
    assert not listening(local_stack.prometheus_port)
    assert not listening(local_stack.alertmanager_port)
    assert not list(local_stack.state_dir.glob("*.pid"))
    status = local_stack.cli("status")
    assert status.returncode == ExitCode.STACK_NOT_RUNNING
    assert "stopped" in status.stdout


def test_down_when_nothing_runs_is_harmless(local_stack: LocalStack) -> None:
    result = local_stack.cli("down")
    assert result.returncode == 0
    assert result.stderr == ""


def test_port_already_taken_gives_one_line_error(local_stack: LocalStack) -> None:
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", local_stack.prometheus_port))
        blocker.listen()
        result = local_stack.cli("up")
    assert result.returncode == ExitCode.PORT_IN_USE
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert str(local_stack.prometheus_port) in lines[0]
    assert "--prometheus-port" in lines[0]
    assert not list(local_stack.state_dir.glob("*.pid"))


def test_missing_binary_gives_one_line_error(local_stack: LocalStack, tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"
    empty_bin.mkdir()
    result = local_stack.cli("up", env={"PATH": str(empty_bin)})
    assert result.returncode == ExitCode.BINARY_MISSING
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "prometheus not found on PATH" in lines[0]
    assert "apt-get install prometheus" in lines[0]


def test_service_exiting_during_start_shows_its_log(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    broken = tmp_path / "alertmanager.yml"
    broken.write_text("route: [this is not a route]\n")
    result = local_stack.cli("up", "--alertmanager-config", str(broken))
    assert result.returncode == ExitCode.SERVICE_START_FAILED
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "Alertmanager exited during start" in lines[0]
    assert "last log lines:" in lines[0] and "alertmanager.log" in lines[0]
    assert not list(local_stack.state_dir.glob("*.pid")), "a failed up must roll back"


def test_service_killed_from_outside_is_dead_and_down_cleans_up(local_stack: LocalStack) -> None:
    assert local_stack.cli("up").returncode == 0
    alertmanager_pid = local_stack.pid("alertmanager")
    prometheus_pid = local_stack.pid("prometheus")
    os.kill(alertmanager_pid, signal.SIGKILL)
    wait_until(lambda: gone(alertmanager_pid), timeout=5)

    status = local_stack.cli("status")
    assert status.returncode == ExitCode.STACK_NOT_RUNNING
    line = next(line for line in status.stdout.splitlines() if line.startswith("alertmanager"))
    assert "dead" in line and str(alertmanager_pid) in line

    result = local_stack.cli("down")
    assert result.returncode == 0
    assert "alertmanager" in result.stdout and "prometheus" in result.stdout
    assert gone(prometheus_pid)
    assert not list(local_stack.state_dir.glob("*.pid"))

    restarted = local_stack.cli("up")
    assert restarted.returncode == 0, restarted.stderr


class VictoriaStack(LocalStack):
    """`up --store victoria-metrics`: VictoriaMetrics, vmalert and Alertmanager."""

    def __init__(self, state_dir: Path) -> None:
        super().__init__(state_dir)
        self.victoria_port = free_port()
        self.vmalert_port = free_port()

    def args(self) -> list[str]:
        return [
            *super().args(),
            "--victoriametrics-port",
            str(self.victoria_port),
            "--vmalert-port",
            str(self.vmalert_port),
        ]

    @property
    def store_url(self) -> str:
        return f"http://127.0.0.1:{self.victoria_port}"


@pytest.fixture
def victoria_stack(tmp_path: Path) -> Iterator[VictoriaStack]:
    local = VictoriaStack(tmp_path / "state")
    yield local
    local.cli("down")


@pytest.mark.slow(seconds=40)
def test_up_with_victoria_metrics_runs_the_store_vmalert_and_our_rules(
    victoria_stack: VictoriaStack, capsys: pytest.CaptureFixture[str]
) -> None:
    result = victoria_stack.cli("up", "--store", "victoria-metrics")
    assert result.returncode == 0, result.stderr
    recorded = json.loads((victoria_stack.state_dir / "stack.json").read_text())
    assert recorded["store"] == "victoria-metrics"
    assert recorded["prometheus_url"] == victoria_stack.store_url
    assert recorded["remote_write_url"] == f"{victoria_stack.store_url}/api/v1/write"
    assert not listening(victoria_stack.prometheus_port)  # no Prometheus beside it

    # in-process from here (a CLI subprocess costs seconds on a busy machine)
    capsys.readouterr()
    code = main(["status", *victoria_stack.args()])  # the store comes from the stack file
    status = capsys.readouterr()
    assert code == ExitCode.OK, status.out + status.err
    lines = {line.split()[0]: line for line in status.out.splitlines()}
    assert "prometheus" not in lines
    for name in ("victoriametrics", "vmalert", "alertmanager"):
        assert f"pid {victoria_stack.pid(name)}" in lines[name] and "healthy" in lines[name]

    # vmalert evaluates the repository's recording rules and alerts against the store
    vmalert = f"http://127.0.0.1:{victoria_stack.vmalert_port}"
    groups = httpx.get(f"{vmalert}/api/v1/rules", timeout=5).json()["data"]["groups"]
    repo = Path(__file__).resolve().parents[3]
    expected = {
        group["name"]
        for path in [*repo.glob("prometheus/rules/*.yml"), *repo.glob("alerts/*.rules.yml")]
        for group in yaml.safe_load(path.read_text())["groups"]
    }
    assert {group["name"] for group in groups} == expected

    # a counter pushed by remote write comes back, and so does vmalert's recording rule
    # over it, written back to the store: 2 requests per second
    registry = CollectorRegistry()
    counter = Gauge("loadgen_http_requests_total", "probe", registry=registry)
    config = PushConfig(
        url=recorded["remote_write_url"],
        labels={"testid": "vm-probe", "scenario": "t", "generator": "test"},
    )
    pusher = RemoteWritePusher(registry, config)
    start = time.time()
    while time.time() - start < 4:
        counter.set(round(2 * (time.time() - start)))
        assert pusher.flush(timeout=10)
        time.sleep(1)
    url = victoria_stack.store_url

    def recorded_by_vmalert() -> bool:
        groups = httpx.get(f"{vmalert}/api/v1/rules", timeout=5).json()["data"]["groups"]
        return any(
            rule["name"] == "testid:loadgen_http_requests:rate1m" and rule["lastSamples"] > 0
            for group in groups
            for rule in group["rules"]
        )

    # VictoriaMetrics shows a new series about a second after it is written, but a query
    # that asked for it earlier misses it for several seconds more (docs/stores.md): ask the
    # store only once vmalert has written its result
    wait_until(recorded_by_vmalert, timeout=30, interval=0.5)
    time.sleep(2.5)
    assert prom_scalar(url, 'loadgen_http_requests_total{testid="vm-probe"}') is not None
    rate = wait_until(
        lambda: prom_scalar(url, 'testid:loadgen_http_requests:rate1m{testid="vm-probe"}'),
        timeout=20,
        interval=1,
    )
    assert 1.5 <= rate <= 2.5
    # every rule evaluated, none with an error (MetricsQL takes all our PromQL)
    rules = [
        rule
        for group in httpx.get(f"{vmalert}/api/v1/rules", timeout=5).json()["data"]["groups"]
        for rule in group["rules"]
    ]
    assert len(rules) >= 20
    assert all(rule["lastEvaluation"] > "2000" for rule in rules), rules
    assert [(rule["name"], rule["lastError"]) for rule in rules if rule["lastError"]] == []

    assert main(["up", "--store", "prometheus", *victoria_stack.args()]) == ExitCode.USAGE
    other = capsys.readouterr().err
    assert other.count("\n") == 1 and "perfstack down" in other

    pids = [victoria_stack.pid(name) for name in ("victoriametrics", "vmalert", "alertmanager")]
    assert main(["down", *victoria_stack.args()]) == 0, capsys.readouterr().err
    assert all(gone(pid) for pid in pids)
    assert not listening(victoria_stack.victoria_port) and not listening(
        victoria_stack.vmalert_port
    )
    assert not list(victoria_stack.state_dir.glob("*.pid"))
