"""`perfstack target` / `python -m demo`: flags become knobs; bad flags are one-line errors."""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys

import pytest

from demo.cli import add_target_arguments, options_from_args
from perfstack.core.errors import ExitCode, PerfstackError


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    add_target_arguments(parser)
    return parser.parse_args(argv)


def run_demo(*argv: str, module: str = "demo") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", module, *argv], capture_output=True, text=True, timeout=60
    )


FULL_FLAGS = (
    "--port 0 --latency-ms 25 --error-ratio 0.1 --leak-bytes-per-second 5MB --stall-seconds 3 "
    "--ws-typing-delay-ms 40 --ws-max-connections 50 --latency-distribution exponential:30 "
    "--flaky-ratio 0.2 --cache-size 8 --seed 7 --state-dir /tmp/x --name shop"
)


def test_flags_become_knobs() -> None:
    options = options_from_args(parse(*FULL_FLAGS.split()))
    knobs = options.knobs
    assert (knobs.latency_ms, knobs.error_ratio) == (25, 0.1)
    assert knobs.leak_bytes_per_second == 5 * 10**6
    assert (knobs.ws_typing_delay_ms, knobs.ws_max_connections) == (40, 50)
    assert knobs.latency_distribution == "exponential:30"
    assert (knobs.flaky_ratio, knobs.cache_size) == (0.2, 8)
    assert (options.stall_seconds, options.seed, options.port) == (3.0, 7, 0)
    assert (options.state_dir, options.name, options.register) == ("/tmp/x", "shop", True)


def test_defaults_bind_loopback_on_8000() -> None:
    options = options_from_args(parse())
    assert (options.host, options.port, options.stall_seconds) == ("127.0.0.1", 8000, 0.0)


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["--latency-ms", "-5"], "--latency-ms: expected a number >= 0, got -5"),
        (["--error-ratio", "1.5"], "--error-ratio: expected a ratio between 0 and 1"),
        (["--flaky-ratio", "x"], "--flaky-ratio: expected a number"),
        (["--leak-bytes-per-second", "lots"], "--leak-bytes-per-second: expected bytes"),
        (["--latency-distribution", "gamma:1"], "--latency-distribution: unknown distribution"),
        (["--ws-max-connections", "1.5"], "--ws-max-connections: expected a whole number"),
        (["--port", "70000"], "--port: expected 0..65535"),
        (["--port", "http"], "--port: expected a number"),
        (["--name", "a/b"], "--name: expected a plain name"),
    ],
)
def test_bad_flags_are_usage_errors_naming_the_flag(argv: list[str], words: str) -> None:
    with pytest.raises(PerfstackError) as raised:
        options_from_args(parse(*argv))
    assert raised.value.exit_code == ExitCode.USAGE
    assert words in raised.value.message


def test_bad_flag_exits_with_one_line_from_the_module_entry() -> None:
    result = run_demo("--error-ratio", "2")
    assert result.returncode == ExitCode.USAGE
    assert result.stderr.splitlines() == [
        "perfstack: error: --error-ratio: expected a ratio between 0 and 1, got 2"
    ]
    assert result.stdout == ""


def test_port_in_use_exits_with_its_own_code() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_demo("--port", str(port), "--no-register")
    assert result.returncode == ExitCode.PORT_IN_USE
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and f"port {port} on 127.0.0.1 is already in use" in lines[0]
    assert "--port" in lines[0]


def test_unbindable_host_is_a_usage_error() -> None:
    result = run_demo("--host", "192.0.2.1", "--port", "0", "--no-register")
    assert result.returncode == ExitCode.USAGE
    assert len(result.stderr.splitlines()) == 1 and "--host 192.0.2.1" in result.stderr


def test_perfstack_target_command_is_registered() -> None:
    result = run_demo("target", "--latency-ms", "-1", module="perfstack")
    assert result.returncode == ExitCode.USAGE, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "perfstack: error: --latency-ms: expected a number >= 0, got -1"
    )
