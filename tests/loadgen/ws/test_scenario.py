from __future__ import annotations

from pathlib import Path

import pytest

from loadgen.ws.scenario import load_ws_scenario, parse_ws_scenario
from loadgen.ws.thinktime import ThinkTime
from perfstack.core.errors import ExitCode, PerfstackError

FULL = """\
name: chat
stages:
  - {kind: ramp, duration: 10s, users: 5}
websocket:
  url: ws://127.0.0.1:8000/ws/chat
  mode: stability
  connections: 200
  ramp: 50
  duration: 2m
  headers: {X-Team: perf}
  subprotocols: [chat.v1]
  session_duration: forever
  message:
    template: '{"id": "{id}", "body": "{payload}"}'
    matcher: id:id
    payload_size: 100
    think_time: uniform:1s:3s
    window: 2
    reply_timeout: 2s
  reconnect: {initial: 200ms, max: 5s}
  max_error_ratio: 0.1
  expected_delay: 200ms
"""


def test_full_section() -> None:
    scenario = parse_ws_scenario(FULL, "chat.yaml")
    assert scenario.name == "chat" and scenario.has_stages
    v = scenario.values
    assert v["url"] == "ws://127.0.0.1:8000/ws/chat" and v["mode"] == "stability"
    assert (v["connections"], v["ramp"], v["duration"]) == (200, 50.0, 120.0)
    assert v["headers"] == (("X-Team", "perf"),) and v["subprotocols"] == ("chat.v1",)
    assert v["session_duration"] is None
    assert v["think_time"] == ThinkTime("uniform", 1.0, 3.0)
    assert (v["payload_size"], v["window"], v["reply_timeout"]) == (100, 2, 2.0)
    assert v["reconnect"] is True and v["backoff_initial"] == 0.2 and v["backoff_max"] == 5.0
    assert v["max_error_ratio"] == 0.1 and v["expected_delay"] == 0.2


def test_token_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CHAT_TOKEN", "abc")
    text = "websocket:\n  url: ws://127.0.0.1:1/\n  token_env: CHAT_TOKEN\n"
    assert parse_ws_scenario(text, "s.yaml").values["token"] == "abc"
    monkeypatch.delenv("CHAT_TOKEN")
    with pytest.raises(PerfstackError, match=r"s.yaml:3: websocket.token_env: .*CHAT_TOKEN"):
        parse_ws_scenario(text, "s.yaml")


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ("  conections: 5\n", "s.yaml:2: websocket.conections: unknown key"),
        ("  connections: 0\n", "s.yaml:2: websocket.connections: expected a whole number >= 1"),
        ("  ramp: fast\n", "s.yaml:2: websocket.ramp: expected connections per second"),
        ("  duration: soon\n", "s.yaml:2: websocket.duration: expected a duration"),
        ("  mode: chaos\n", "s.yaml:2: websocket.mode: expected one of session"),
        ("  max_error_ratio: 2\n", "s.yaml:2: websocket.max_error_ratio: expected a ratio"),
        ("  ping_interval: 0\n", "s.yaml:2: websocket.ping_interval: expected a duration > 0"),
        ("  connect_timeout: 0s\n", "s.yaml:2: websocket.connect_timeout: expected a duration > 0"),
        (
            "  message:\n    reply_timeout: 0ms\n",
            "s.yaml:3: websocket.message.reply_timeout: expected a duration > 0",
        ),
        ("  message:\n    think_time: gauss:1s\n", "s.yaml:3: websocket.message.think_time: think"),
        ("  message:\n    window: -1\n", "s.yaml:3: websocket.message.window: expected a whole"),
        (
            "  message:\n    template: 'no id here'\n",
            "s.yaml:3: websocket.message.template: message template: needs an {id} placeholder",
        ),
        (
            '  message:\n    template: \'{"id": "{id}"\'\n',
            "s.yaml:3: websocket.message.template: message template is not valid JSON",
        ),
        (
            "  message:\n    matcher: 'regex:('\n",
            "s.yaml:3: websocket.message.matcher: matcher 'regex:('",
        ),
        ("  subprotocols: chat\n", "s.yaml:2: websocket.subprotocols: expected a list"),
        ("  reconnect: {enabled: maybe}\n", "s.yaml:2: websocket.reconnect.enabled: expected"),
    ],
)
def test_errors_name_file_line_and_key(section: str, message: str) -> None:
    with pytest.raises(PerfstackError) as caught:
        parse_ws_scenario("websocket:\n" + section, "s.yaml")
    assert caught.value.message.startswith(message), caught.value.message
    assert caught.value.exit_code == ExitCode.USAGE and "\n" not in caught.value.message


def test_file_problems(tmp_path: Path) -> None:
    with pytest.raises(PerfstackError, match="cannot read") as caught:
        load_ws_scenario(tmp_path / "missing.yaml")
    assert caught.value.exit_code == ExitCode.UNKNOWN_SCENARIO
    bad = tmp_path / "bad.yaml"
    bad.write_text("websocket: [\n")
    with pytest.raises(PerfstackError, match=r"bad.yaml:2: invalid YAML"):
        load_ws_scenario(bad)
    http_only = tmp_path / "http.yaml"
    http_only.write_text("stages: []\n")
    with pytest.raises(PerfstackError, match=r"http.yaml:1: websocket: section missing"):
        load_ws_scenario(http_only)
    assert (
        load_ws_scenario(_write(tmp_path, "named.yaml", "websocket: {connections: 3}\n")).name
        == "named"
    )


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text)
    return path
