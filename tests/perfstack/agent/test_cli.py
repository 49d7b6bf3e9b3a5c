"""`perfstack agent` for real: vmagent started in the foreground, a pusher's samples reach a
private Prometheus through it, SIGTERM stops both; a port in use is one line and exit 11."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter

from perfstack.cli import main
from perfstack.core.errors import ExitCode
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from perfstack.testing import PrometheusProcess, free_port, prom_query
from tests.helpers import wait_until


def test_generators_push_through_the_agent_to_the_store(tmp_path: Path) -> None:
    store = PrometheusProcess(tmp_path / "store").start()
    port = free_port()
    agent = subprocess.Popen(
        [sys.executable, "-m", "perfstack", "agent", "--store-url", store.remote_write_url,
         "--port", str(port), "--data-dir", str(tmp_path / "queue")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert agent.stdout is not None
        first = agent.stdout.readline()
        assert first.startswith(f"perfstack agent: vmagent on http://127.0.0.1:{port}/api/v1/write")
        write_url = f"http://127.0.0.1:{port}/api/v1/write"
        assert (
            agent.stdout.readline().strip()
            == f"point generators at: --remote-write-url {write_url}"
        )
        testid = uuid.uuid4().hex
        registry = CollectorRegistry()
        Counter("agent_probe_events", "e", registry=registry).inc(7)
        pusher = RemoteWritePusher(registry, PushConfig(url=write_url, labels={"testid": testid}))
        assert pusher.flush(timeout=10)
        expr = f'agent_probe_events_total{{testid="{testid}"}}'
        wait_until(lambda: prom_query(store.url, expr), timeout=15)
        assert float(prom_query(store.url, expr)[0]["value"][1]) == 7.0
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=40) == 0
        # vmagent itself is gone: its port is free again
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if agent.poll() is None:
            agent.kill()
            agent.wait()
        store.stop()


def test_a_port_in_use_is_one_line_and_exit_11(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        argv = ["agent", "--store-url", "http://127.0.0.1:9/api/v1/write", "--port", str(port)]
        assert main([*argv, "--data-dir", str(tmp_path)]) == ExitCode.PORT_IN_USE
    assert capsys.readouterr().err == (
        f"perfstack: error: --port {port}: already in use; choose another\n"
    )


def test_a_data_dir_that_is_a_file_is_one_line_and_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_dir = tmp_path / "queue"
    not_a_dir.write_text("a file\n")
    argv = ["agent", "--store-url", "http://127.0.0.1:9/api/v1/write", "--port", str(free_port())]
    assert main([*argv, "--data-dir", str(not_a_dir)]) == ExitCode.USAGE
    assert capsys.readouterr().err == (
        f"perfstack: error: --data-dir {not_a_dir}: cannot hold the disk queue: File exists\n"
    )


def test_without_vmagent_on_the_path_it_names_the_package_exit_10(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no vmagent on it
    argv = ["agent", "--store-url", "http://127.0.0.1:9/api/v1/write", "--data-dir", str(tmp_path)]
    assert main(argv) == ExitCode.BINARY_MISSING
    assert capsys.readouterr().err == (
        "perfstack: error: vmagent not found on PATH; install it with: "
        "apt-get install victoria-metrics\n"
    )
