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
from loadgen.ws.durations import DurationError, parse_duration
from loadgen.ws.messages import (
    DEFAULT_MATCHER,
    DEFAULT_TEMPLATE,
    MessageSpecError,
    MessageTemplate,
    check_pair,
    parse_matcher,
)
from loadgen.ws.thinktime import ThinkTime, ThinkTimeError
from perfstack.errors import ExitCode, PerfstackError

SECTION = "websocket"


@dataclass
class WsScenario:
    name: str
    source: str
    values: dict[str, Any] = field(default_factory=dict)
    has_stages: bool = False


class _Checker:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, node: yaml.Node, key: str, expected: str) -> PerfstackError:
        return PerfstackError(
            f"{self.source}:{node.start_mark.line + 1}: {key}: {expected}", ExitCode.USAGE
        )

    def mapping(self, node: yaml.Node, key: str, allowed: set[str]) -> dict[str, yaml.Node]:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, key, "expected a mapping")
        fields: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            name = str(key_node.value)
            if name not in allowed:
                raise self.fail(
                    key_node,
                    f"{key}.{name}",
                    f"unknown key; expected one of {', '.join(sorted(allowed))}",
                )
            if name in fields:
                raise self.fail(key_node, f"{key}.{name}", "duplicate key")
            fields[name] = value_node
        return fields

    def scalar(self, node: yaml.Node, key: str) -> Any:
        if not isinstance(node, yaml.ScalarNode):
            raise self.fail(node, key, "expected a single value")
        return yaml.SafeLoader("").construct_object(node)

    def convert(self, node: yaml.Node, key: str, parse: Callable[[Any], Any], expected: str) -> Any:
        value = self.scalar(node, key)
        try:
            return parse(value)
        except (ValueError, TypeError, DurationError, ThinkTimeError, MessageSpecError) as error:
            detail = (
                str(error)
                if isinstance(error, DurationError | ThinkTimeError | MessageSpecError)
                else ""
            )
            raise self.fail(node, key, detail or f"expected {expected}, got {value!r}") from None


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError
    return value


def _positive(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ValueError
    return float(value)


def _positive_duration(value: Any) -> float:
    """For timeouts and intervals: 0 would not mean "off", it would break every connection."""
    return _positive(parse_duration(value))


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
    return None if value in ("forever", None) else parse_duration(value)


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
    "duration": (parse_duration, DURATION),
    "session_duration": (_forever_or_duration, f"{DURATION} or forever"),
    "max_error_ratio": (_ratio, "a ratio between 0 and 1"),
    "settle": (parse_duration, DURATION),
    "expected_delay": (parse_duration, DURATION),
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
    check = _Checker(source)
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark else source
        raise PerfstackError(
            f"{where}: invalid YAML: {getattr(error, 'problem', error)}", ExitCode.USAGE
        ) from None
    if not isinstance(root, yaml.MappingNode):
        raise PerfstackError(
            f"{source}:1: expected a mapping with a 'websocket' section", ExitCode.USAGE
        )
    top = {str(k.value): (k, v) for k, v in root.value}
    if SECTION not in top:
        raise PerfstackError(
            f"{source}:1: websocket: section missing (needed by perfstack ws)", ExitCode.USAGE
        )
    name = default_name
    if "name" in top:
        name = check.convert(top["name"][1], "name", _text, "a non-empty string")
    section = check.mapping(top[SECTION][1], SECTION, TOP)
    values: dict[str, Any] = {}
    message_nodes: dict[str, yaml.Node] = {}
    for key, node in section.items():
        where = f"{SECTION}.{key}"
        if key in SIMPLE:
            parse, expected = SIMPLE[key]
            values[key] = check.convert(node, where, parse, expected)
        elif key == "headers":
            headers = check.mapping(node, where, set(_keys(node)))
            values["headers"] = tuple(
                (k, str(check.scalar(v, f"{where}.{k}"))) for k, v in headers.items()
            )
        elif key == "subprotocols":
            if not isinstance(node, yaml.SequenceNode):
                raise check.fail(node, where, "expected a list of subprotocol names")
            values["subprotocols"] = tuple(
                check.convert(n, where, _text, "a name") for n in node.value
            )
        elif key == "token_env":
            variable = check.convert(node, where, _text, "an environment variable name")
            if variable not in os.environ:
                raise check.fail(node, where, f"environment variable {variable} is not set")
            values["token"] = os.environ[variable]
        elif key == "message":
            message_nodes = check.mapping(node, where, MESSAGE)
            for sub, sub_node in message_nodes.items():
                target, parse, expected = MESSAGE_FIELDS[sub]
                values[target] = check.convert(sub_node, f"{where}.{sub}", parse, expected)
        elif key == "reconnect":
            _reconnect(check, node, where, values)
    _check_messages(check, message_nodes, top[SECTION][0], values)
    return WsScenario(name=name, source=source, values=values, has_stages="stages" in top)


def _keys(node: yaml.Node) -> list[str]:
    return [str(k.value) for k, _ in node.value] if isinstance(node, yaml.MappingNode) else []


def _reconnect(check: _Checker, node: yaml.Node, where: str, values: dict[str, Any]) -> None:
    if isinstance(node, yaml.ScalarNode):
        values["reconnect"] = check.convert(node, where, _bool, "true, false or a mapping")
        return
    fields = check.mapping(node, where, RECONNECT)
    if "enabled" in fields:
        values["reconnect"] = check.convert(
            fields["enabled"], f"{where}.enabled", _bool, "true or false"
        )
    else:
        values["reconnect"] = True
    if "initial" in fields:
        values["backoff_initial"] = check.convert(
            fields["initial"], f"{where}.initial", parse_duration, DURATION
        )
    if "max" in fields:
        values["backoff_max"] = check.convert(
            fields["max"], f"{where}.max", parse_duration, DURATION
        )


def _check_messages(
    check: _Checker, nodes: dict[str, yaml.Node], section_key: yaml.Node, values: dict[str, Any]
) -> None:
    """Template and matcher are checked together, before anything connects."""
    template_node = nodes.get("template", section_key)
    matcher_node = nodes.get("matcher", section_key)
    where = f"{SECTION}.message"
    try:
        template = MessageTemplate(
            values.get("template", DEFAULT_TEMPLATE), values.get("payload_size", 16)
        )
    except MessageSpecError as error:
        raise check.fail(template_node, f"{where}.template", str(error)) from None
    try:
        matcher = parse_matcher(values.get("matcher", DEFAULT_MATCHER))
    except MessageSpecError as error:
        raise check.fail(matcher_node, f"{where}.matcher", str(error)) from None
    try:
        check_pair(template, matcher)
    except MessageSpecError as error:
        raise check.fail(template_node, f"{where}.template", str(error)) from None
