"""`perfstack exporter` as a user runs it: a subprocess, its exit code and its stderr."""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from exporters.cli import register
from perfstack.core.errors import PerfstackError
from perfstack.testing import free_port, prom_query
from tests.exporters.process_tree import spawn_tree
from tests.helpers import wait_until


def perfstack(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "perfstack", "exporter", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_in_process(args: list[str]) -> int:
    """Only this area's parser, as perfstack.cli.main runs it: importing perfstack.cli here
    would import locust, whose gevent monkey-patching must not reach the test process."""
    parser = argparse.ArgumentParser(prog="perfstack")
    register(parser.add_subparsers())
    namespace = parser.parse_args(["exporter", *args])
    try:
        return int(namespace.func(namespace))
    except PerfstackError as error:
        print(f"perfstack: error: {error.message}", file=sys.stderr)
        return int(error.exit_code)


def gone_pid() -> int:
    process = subprocess.Popen(["true"])
    process.wait()
    return process.pid


def error_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_missing_pid_is_exit_17_with_one_line() -> None:
    pid = gone_pid()
    result = perfstack("--pid", str(pid), "--no-push")
    assert result.returncode == 17
    assert error_line(result) == f"perfstack: error: --pid {pid}: no such process"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--cmdline", "app(", "--no-push"], 2, "--cmdline 'app(': not a valid regular expression"),
        (["--port", "0", "--no-push"], 2, "--port 0: expected a TCP port 1-65535"),
        (["--no-push"], 2, "no target: give --pid, --name, --cmdline, --port or -- COMMAND"),
        (["--pid", "1", "--listen", "9105", "--no-push"], 2, "--listen '9105': expected HOST:PORT"),
        (["--pid", "1", "--pid", "1", "--no-push"], 2, "are both named"),
        (["--target-name", "x", "--no-push"], 2, "--target-name given before any selector"),
        (["--pid", "1", "--no-push", "--", "/nonexistent/cmd"], 17, "-- /nonexistent/cmd: cannot"),
    ],
)
def test_bad_input_is_one_line_with_its_code(
    args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_in_process(args) == code
    stderr = capsys.readouterr().err.strip()
    assert len(stderr.splitlines()) == 1 and message in stderr, stderr


def test_listen_port_in_use_is_exit_11() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = perfstack("--pid", str(os.getpid()), "--no-push", "--listen", f"127.0.0.1:{port}")
    assert result.returncode == 11
    assert f"--listen 127.0.0.1:{port}: cannot listen" in error_line(result)


@pytest.fixture
def listen_port() -> int:
    return free_port()


def metrics(port: int) -> str:
    return httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text


def test_pattern_matching_nothing_waits_with_a_warning_and_reports_up_0(listen_port: int) -> None:
    marker = f"perfstack-nothing-{uuid.uuid4().hex}"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "perfstack",
            "exporter",
            "--cmdline",
            marker,
            "--target-name",
            "late",
            "--no-push",
            "--listen",
            f"127.0.0.1:{listen_port}",
            "--interval",
            "0.2",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        text = wait_until(lambda: _try_metrics(listen_port), timeout=15)
        assert 'exporter_target_up{target="late"} 0.0' in text
        assert "exporter_target_resident_memory_bytes" not in text.split("# TYPE")[-1] or (
            'target="late"' not in _series(text, "exporter_target_resident_memory_bytes")
        )
        tree = spawn_tree(1 << 20, 1, marker)  # the target appears later: picked up
        try:
            wait_until(
                lambda: 'exporter_target_up{target="late"} 1.0' in metrics(listen_port), timeout=10
            )
            assert 'exporter_target_processes{target="late"} 2.0' in metrics(listen_port)
        finally:
            tree.kill()
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0
    assert f"target 'late' (--cmdline '{marker}'): no process matches yet; waiting" in stderr


def _try_metrics(port: int) -> str | None:
    try:
        return metrics(port)
    except httpx.HTTPError:
        return None


def _series(text: str, name: str) -> str:
    return "\n".join(line for line in text.splitlines() if line.startswith(name + "{"))


def test_launch_mode_returns_the_commands_exit_status() -> None:
    result = perfstack(
        "--no-push",
        "--interval",
        "0.2",
        "--",
        sys.executable,
        "-c",
        "import time; time.sleep(1); exit(4)",
    )
    assert result.returncode == 4, result.stderr
    assert "watching python" in result.stderr


@pytest.fixture
def other_users_process() -> Iterator[int]:
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv to run a process as another user")
    process = subprocess.Popen(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "sleep", "60"]
    )
    yield process.pid
    process.kill()
    process.wait()


def test_permission_denied_fields_are_omitted_with_a_warning(
    other_users_process: int, listen_port: int
) -> None:
    """Real denial: the exporter runs without capabilities, the target belongs to nobody."""
    process = subprocess.Popen(
        [
            "setpriv",
            "--inh-caps=-all",
            "--bounding-set=-all",
            "--",
            sys.executable,
            "-m",
            "perfstack",
            "exporter",
            "--pid",
            str(other_users_process),
            "--no-push",
            "--listen",
            f"127.0.0.1:{listen_port}",
            "--interval",
            "0.2",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        text = wait_until(lambda: _try_metrics(listen_port), timeout=15)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=15)
    assert process.returncode == 0, stderr
    assert _series(text, "exporter_target_resident_memory_bytes")  # RSS is world-readable
    assert not _series(text, "exporter_target_open_fds")
    assert not _series(text, "exporter_target_unique_memory_bytes")
    assert "open_fds" in stderr and "not readable (permission denied" in stderr


def test_pushes_with_the_runs_labels_into_prometheus(stack: Any) -> None:
    testid = f"cli-{uuid.uuid4().hex[:8]}"
    tree = spawn_tree(1 << 20, 1, f"perfstack-cli-{uuid.uuid4().hex}")
    try:
        result = perfstack(
            "--cmdline", tree.marker, "--target-name", "svc", "--testid", testid,
            "--scenario", "checkout", "--prometheus-url", stack.prometheus_url,
            "--interval", "0.5", "--duration", "2",
        )  # fmt: skip
    finally:
        tree.kill()
    assert result.returncode == 0, result.stderr
    assert f"watching svc (testid {testid})" in result.stderr
    series = prom_query(stack.prometheus_url, f'exporter_target_processes{{testid="{testid}"}}[1m]')
    assert len(series) == 1
    labels = series[0]["metric"]
    assert (labels["scenario"], labels["generator"], labels["target"]) == (
        "checkout", "exporter", "svc",
    )  # fmt: skip
    assert re.fullmatch(r".+:[0-9]+", labels["instance"]), labels  # <hostname>:<pid>
    assert {float(v) for _, v in series[0]["values"]} == {2.0}
    # the exporter ended: its last push was stale markers, so nothing is current any more
    assert prom_query(stack.prometheus_url, f'exporter_target_up{{testid="{testid}"}}') == []
