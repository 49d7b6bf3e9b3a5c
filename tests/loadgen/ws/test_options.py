from __future__ import annotations

import argparse
import ssl
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from loadgen.ws import cli
from loadgen.ws.options import build_run_config
from loadgen.ws.session import SlotContext
from loadgen.ws.tally import WsTally
from loadgen.ws.thinktime import ThinkTime
from perfstack.core.errors import ExitCode, PerfstackError
from tests.helpers import self_signed_certificate


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


def test_a_ca_file_is_loaded_before_the_run_and_reaches_the_session(tmp_path: Path) -> None:
    cert, _ = self_signed_certificate(tmp_path)
    run = build_run_config(parse("--url", "WSS://127.0.0.1:9/", "--ca-file", str(cert)))
    assert run.session.ca_file == str(cert)
    context = run.session.ssl_context
    assert context is not None and context.cert_store_stats()["x509_ca"] == 1
    assert build_run_config(parse("--url", "wss://127.0.0.1:9/")).session.ssl_context is None


def test_the_ca_file_is_read_once_for_the_check_and_the_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cert, _ = self_signed_certificate(tmp_path)
    loads: list[str | None] = []
    create = ssl.create_default_context

    def counting(*args: Any, cafile: str | None = None, **kwargs: Any) -> ssl.SSLContext:
        loads.append(cafile)
        return create(*args, cafile=cafile, **kwargs)

    monkeypatch.setattr(ssl, "create_default_context", counting)
    run = build_run_config(parse("--url", "wss://127.0.0.1:9/", "--ca-file", str(cert)))
    slots = SlotContext(run.session, WsTally())
    assert slots.connect_kwargs["ssl"] is run.session.ssl_context
    assert loads == [str(cert)]


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (
            ["--url", "ws://127.0.0.1:9/", "--ca-file", "ca.pem"],
            ExitCode.USAGE,
            "--ca-file: applies to wss:// URLs only, the URL is ws://127.0.0.1:9/",
        ),
        (
            ["--url", "wss://127.0.0.1:9/", "--ca-file", "{tmp}/missing.pem"],
            ExitCode.BAD_CONFIG_FILE,
            "--ca-file {tmp}/missing.pem: cannot load PEM certificates: No such file or directory",
        ),
        (
            ["--url", "wss://127.0.0.1:9/", "--ca-file", "{tmp}/not.pem"],
            ExitCode.BAD_CONFIG_FILE,
            "--ca-file {tmp}/not.pem: cannot load PEM certificates: ",
        ),
    ],
)
def test_a_ca_file_that_cannot_apply_or_load_is_a_one_line_error(
    argv: list[str], code: ExitCode, message: str, tmp_path: Path
) -> None:
    (tmp_path / "not.pem").write_text("not a certificate\n")
    with pytest.raises(PerfstackError) as error:
        build_run_config(parse(*[arg.format(tmp=tmp_path) for arg in argv]))
    assert error.value.exit_code == code
    assert str(error.value).startswith(message.format(tmp=tmp_path))
    assert "\n" not in str(error.value)


def test_a_scenarios_ca_file_is_relative_to_the_scenario(tmp_path: Path) -> None:
    cert, _ = self_signed_certificate(tmp_path / "certs")
    scenario = tmp_path / "chat.yaml"
    scenario.write_text("websocket:\n  url: wss://127.0.0.1:9/\n  ca_file: certs/cert.pem\n")
    run = build_run_config(parse("--scenario", str(scenario)))
    assert Path(run.session.ca_file or "") == cert
    scenario.write_text("websocket:\n  url: ws://127.0.0.1:9/\n  ca_file: certs/cert.pem\n")
    with pytest.raises(PerfstackError, match=r"chat.yaml: websocket.ca_file: applies to wss://"):
        build_run_config(parse("--scenario", str(scenario)))
