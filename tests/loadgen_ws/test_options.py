from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from loadgen.ws import cli
from loadgen.ws.options import build_run_config
from loadgen.ws.thinktime import ThinkTime
from perfstack.errors import ExitCode


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.register(parser.add_subparsers())
    return parser.parse_args(["ws", *argv])


def test_mode_defaults() -> None:
    url = "ws://127.0.0.1:9/"
    assert build_run_config(parse("--url", url)).session.think_time == ThinkTime.parse("1s")
    limit = build_run_config(parse("--url", url, "--mode", "connection-limit"))
    assert limit.session.send_messages is False and limit.connections == 10000
    stability = build_run_config(parse("--url", url, "--mode", "stability"))
    assert stability.session.reconnect is True
    throughput = build_run_config(parse("--url", url, "--mode", "throughput"))
    assert throughput.session.think_time == ThinkTime() and throughput.session.reconnect is False


def test_flags_override_the_scenario_which_overrides_mode_defaults(tmp_path: Path) -> None:
    scenario = tmp_path / "s.yaml"
    scenario.write_text(
        "websocket:\n  url: ws://127.0.0.1:9/a\n  mode: stability\n  connections: 50\n"
        "  reconnect: false\n  message: {payload_size: 7, think_time: 2s}\n"
    )
    run = build_run_config(parse("--scenario", str(scenario), "--connections", "5"))
    assert run.mode == "stability" and run.connections == 5 and run.scenario == "s"
    assert run.session.reconnect is False  # the scenario beat stability's default
    assert run.session.payload_size == 7 and run.session.think_time == ThinkTime.parse("2s")
    assert run.session.url == "ws://127.0.0.1:9/a"
    flags = build_run_config(
        parse(
            "--scenario",
            str(scenario),
            "--reconnect",
            "--think-time",
            "none",
            "--header",
            "X-A: 1",
            "--subprotocol",
            "p1",
            "--token",
            "t",
            "--scenario-name",
            "chat",
        )
    )
    assert flags.session.reconnect is True and flags.session.think_time == ThinkTime()
    assert flags.session.all_headers() == [("X-A", "1"), ("Authorization", "Bearer t")]
    assert flags.session.subprotocols == ("p1",) and flags.scenario == "chat"


def test_module_entry_point_reports_like_perfstack() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "loadgen.ws", "--url", "ftp://127.0.0.1/", "--no-push"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == ExitCode.BAD_TARGET_URL
    assert result.stderr.strip() == (
        "perfstack: error: --url: expected a ws:// or wss:// URL, got 'ftp://127.0.0.1/'"
    )
