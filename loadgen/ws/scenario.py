"""The `websocket:` section of a scenario file, checked with file:line errors.

    name: chat                      # top level, shared with the HTTP part (optional)
    websocket:
      url: ws://127.0.0.1:8000/ws/chat
      mode: session       # session | connection-limit | throughput | typing-delay | stability
      connections: 200
      ramp: 50                      # connections opened per second
      duration: 2m
      headers: {X-Team: perf}
      subprotocols: [chat.v1]
      token_env: CHAT_TOKEN         # bearer token read from this environment variable
      session_duration: 30s         # or "forever" (default)
      message:
        template: '{"id": "{id}", "text": "{payload}"}'
        matcher: id:id              # id:FIELD | echo | regex:PATTERN
        payload_size: 100
        think_time: uniform:1s:3s   # fixed:D | uniform:LOW:HIGH | exponential:MEAN | none
        window: 1
        reply_timeout: 5s
      reconnect: {enabled: true, initial: 500ms, max: 10s}
      max_error_ratio: 0.05         # connection-limit
      settle: 2s                    # connection-limit
      expected_delay: 200ms         # typing-delay
      ping_interval: 20s
      ca_file: certs/test-ca.pem    # wss:// only: trusted instead of the system's

Values come out under the names of SessionConfig / RunConfig fields; command-line
flags override them (loadgen.ws.cli).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from loadgen.ws.config import MODES
from loadgen.ws.messages import (
    DEFAULT_MATCHER,
    DEFAULT_TEMPLATE,
    MessageSpecError,
    MessageTemplate,
    check_pair,
    parse_matcher,
)
from loadgen.ws.thinktime import ThinkTime, ThinkTimeError
from perfstack.core.durations import DurationError, parse_duration
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.core.yamlnodes import Node, RuleFileError, compose, invalid_yaml

SECTION = "websocket"


@dataclass
class WsScenario:
    name: str
    source: str
    values: dict[str, Any] = field(default_factory=dict)
    has_stages: bool = False


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError
    return value


def _positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError
    return float(value)


def _duration(value: Any) -> float:
    return parse_duration(value, allow_zero=True)


def _positive_duration(value: Any) -> float:
    """For timeouts and intervals: 0 would not mean "off", it would break every connection."""
    return _positive(_duration(value))


def _ratio(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise ValueError
    return float(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError
    return value


def _mode(value: Any) -> str:
    if value not in MODES:
        raise ValueError(f"expected one of {', '.join(MODES)}, got {value!r}")
    return str(value)


def _forever_or_duration(value: Any) -> float | None:
    return None if value in ("forever", None) else _duration(value)


def _think(value: Any) -> ThinkTime:
    return ThinkTime() if value in ("none", 0) else ThinkTime.parse(str(value))


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


TOP = {
    "url",
    "mode",
    "connections",
    "ramp",
    "duration",
    "headers",
    "subprotocols",
    "token_env",
    "session_duration",
    "message",
    "reconnect",
    "max_error_ratio",
    "settle",
    "expected_delay",
    "ping_interval",
    "connect_timeout",
    "ca_file",
}
MESSAGE = {"template", "matcher", "payload_size", "think_time", "window", "reply_timeout", "send"}
RECONNECT = {"enabled", "initial", "max"}
DURATION = "a duration like 500ms, 30s or 2m"
POSITIVE_DURATION = "a duration > 0"

SIMPLE: dict[str, tuple[Callable[[Any], Any], str]] = {
    "url": (_text, "a ws:// URL"),
    "mode": (_mode, "one of " + ", ".join(MODES)),
    "connections": (_whole, "a whole number >= 1"),
    "ramp": (_positive, "connections per second > 0"),
    "duration": (_duration, DURATION),
    "session_duration": (_forever_or_duration, f"{DURATION} or forever"),
    "max_error_ratio": (_ratio, "a ratio between 0 and 1"),
    "settle": (_duration, DURATION),
    "expected_delay": (_duration, DURATION),
    "ping_interval": (_positive_duration, POSITIVE_DURATION),
    "connect_timeout": (_positive_duration, POSITIVE_DURATION),
    "ca_file": (_text, "a path to PEM certificates"),
}
MESSAGE_FIELDS: dict[str, tuple[str, Callable[[Any], Any], str]] = {
    "template": ("template", _text, "a non-empty string"),
    "matcher": ("matcher", _text, "a matcher like id:id, echo or regex:PATTERN"),
    "payload_size": ("payload_size", lambda v: _whole(v + 1) - 1, "a whole number >= 0"),
    "think_time": ("think_time", _think, "a think time"),
    "window": ("window", _whole, "a whole number >= 1"),
    "reply_timeout": ("reply_timeout", _positive_duration, POSITIVE_DURATION),
    "send": ("send_messages", _bool, "true or false"),
}


def load_ws_scenario(path: str | Path) -> WsScenario:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise PerfstackError(
            f"--scenario {path}: cannot read: {error.strerror}", ExitCode.UNKNOWN_SCENARIO
        ) from None
    scenario = parse_ws_scenario(text, str(path), path.stem)
    ca_file = scenario.values.get("ca_file")
    if ca_file is not None:  # a relative path is relative to the scenario file
        scenario.values["ca_file"] = str(path.parent / ca_file)
    return scenario


def parse_ws_scenario(text: str, source: str, default_name: str = "scenario") -> WsScenario:
    try:
        root = compose(text, source)
    except yaml.YAMLError as error:
        raise invalid_yaml(source, error, str(getattr(error, "problem", error))) from None
    if root is None or not root.is_mapping:
        raise RuleFileError(source, 1, "", "expected a mapping with a 'websocket' section")
    top = {key: (key_node, value) for key, key_node, value in root.pairs()}  # the last one wins
    if SECTION not in top:
        raise RuleFileError(source, 1, SECTION, "section missing (needed by perfstack ws)")
    name = default_name
    if "name" in top:
        name = _convert(top["name"][1], _text, "a non-empty string")
    section_key, section_node = top[SECTION]
    section = section_node.fields(TOP)
    values: dict[str, Any] = {}
    message_nodes: dict[str, Node] = {}
    for key, node in section.items():
        if key in SIMPLE:
            parse, expected = SIMPLE[key]
            values[key] = _convert(node, parse, expected)
        elif key == "headers":
            headers = node.fields()
            values["headers"] = tuple((k, str(v.loaded())) for k, v in headers.items())
        elif key == "subprotocols":
            if not node.is_sequence:
                raise node.error("expected a list of subprotocol names")
            values["subprotocols"] = tuple(
                _convert(item.renamed(node.path), _text, "a name") for item in node.sequence()
            )
        elif key == "token_env":
            variable = _convert(node, _text, "an environment variable name")
            if variable not in os.environ:
                raise node.error(f"environment variable {variable} is not set")
            values["token"] = os.environ[variable]
        elif key == "message":
            message_nodes = node.fields(MESSAGE)
            for sub, sub_node in message_nodes.items():
                target, parse, expected = MESSAGE_FIELDS[sub]
                values[target] = _convert(sub_node, parse, expected)
        elif key == "reconnect":
            _reconnect(node, values)
    _check_messages(message_nodes, section_key, values)
    return WsScenario(name=name, source=source, values=values, has_stages="stages" in top)


def _convert(node: Node, parse: Callable[[Any], Any], expected: str) -> Any:
    """`parse` applied to the scalar's value; what it rejects is "expected EXPECTED, got ..."
    unless its error says better (durations, think times, message specs)."""
    value = node.loaded()
    try:
        return parse(value)
    except (ValueError, TypeError, DurationError, ThinkTimeError, MessageSpecError) as error:
        detail = (
            str(error)
            if isinstance(error, DurationError | ThinkTimeError | MessageSpecError)
            else ""
        )
        raise (node.error(detail) if detail else node.expected(expected, value)) from None


def _reconnect(node: Node, values: dict[str, Any]) -> None:
    if node.is_scalar:
        values["reconnect"] = _convert(node, _bool, "true, false or a mapping")
        return
    fields = node.fields(RECONNECT)
    if "enabled" in fields:
        values["reconnect"] = _convert(fields["enabled"], _bool, "true or false")
    else:
        values["reconnect"] = True
    if "initial" in fields:
        values["backoff_initial"] = _convert(fields["initial"], _duration, DURATION)
    if "max" in fields:
        values["backoff_max"] = _convert(fields["max"], _duration, DURATION)


def _check_messages(nodes: dict[str, Node], section_key: Node, values: dict[str, Any]) -> None:
    """Template and matcher are checked together, before anything connects; without them in
    the file, errors are on the `websocket:` line."""
    where = f"{SECTION}.message"
    template_node = nodes.get("template", section_key.renamed(f"{where}.template"))
    matcher_node = nodes.get("matcher", section_key.renamed(f"{where}.matcher"))
    try:
        template = MessageTemplate(
            values.get("template", DEFAULT_TEMPLATE), values.get("payload_size", 16)
        )
    except MessageSpecError as error:
        raise template_node.error(str(error)) from None
    try:
        matcher = parse_matcher(values.get("matcher", DEFAULT_MATCHER))
    except MessageSpecError as error:
        raise matcher_node.error(str(error)) from None
    try:
        check_pair(template, matcher)
    except MessageSpecError as error:
        raise template_node.error(str(error)) from None
