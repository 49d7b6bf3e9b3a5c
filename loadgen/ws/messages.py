"""Message templates carrying a correlation id, and matchers finding that id in a reply.

A template is plain text with placeholders `{id}` (required: the correlation id),
`{payload}` (filler of the configured size), `{conn}` and `{seq}`. Any other `{word}`
is a mistake and rejected, so JSON braces need no escaping.

A matcher says how a reply names the message it answers:
- `id:FIELD` (or `id:a.b` for a nested field): the reply is JSON carrying the id there;
- `echo`: the reply is the message itself;
- `regex:PATTERN`: the first group of PATTERN is the id.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
KNOWN = frozenset({"id", "payload", "conn", "seq"})
DEFAULT_TEMPLATE = '{"id": "{id}", "text": "{payload}"}'
DEFAULT_MATCHER = "id:id"


class MessageSpecError(ValueError):
    pass


@dataclass(frozen=True)
class MessageTemplate:
    text: str
    payload_size: int = 16

    def __post_init__(self) -> None:
        names = PLACEHOLDER.findall(self.text)
        unknown = sorted(set(names) - KNOWN)
        if unknown:
            raise MessageSpecError(
                f"message template: unknown placeholder {{{unknown[0]}}}; "
                "expected {id}, {payload}, {conn} or {seq}"
            )
        if "id" not in names:
            raise MessageSpecError("message template: needs an {id} placeholder (correlation id)")
        if self.payload_size < 0:
            raise MessageSpecError(f"payload size: expected >= 0, got {self.payload_size}")

    def compile(self) -> CompiledTemplate:
        return CompiledTemplate(self.text, "x" * self.payload_size)


class CompiledTemplate:
    """Renders with str.join over pre-split parts: no parsing per message."""

    __slots__ = ("_fields", "_parts")

    def __init__(self, text: str, payload: str) -> None:
        pieces = PLACEHOLDER.split(text)  # literal, name, literal, name, ..., literal
        self._parts: list[str] = pieces
        self._fields: list[tuple[int, str]] = [(i, pieces[i]) for i in range(1, len(pieces), 2)]
        for index, name in self._fields:
            if name == "payload":
                self._parts[index] = payload

    def render(self, message_id: str, conn: int, seq: int) -> str:
        parts = self._parts
        for index, name in self._fields:
            if name == "id":
                parts[index] = message_id
            elif name == "conn":
                parts[index] = str(conn)
            elif name == "seq":
                parts[index] = str(seq)
        return "".join(parts)


class Matcher:
    """`sent_key(message_id, text)` and `reply_key(reply)` must agree for a matching pair."""

    spec: str

    def sent_key(self, message_id: str, text: str) -> str:
        raise NotImplementedError

    def reply_key(self, reply: str | bytes) -> str | None:
        raise NotImplementedError


class FieldMatcher(Matcher):
    def __init__(self, spec: str, path: list[str]) -> None:
        self.spec = spec
        self._path = path

    def sent_key(self, message_id: str, text: str) -> str:
        return message_id

    def reply_key(self, reply: str | bytes) -> str | None:
        try:
            value = json.loads(reply)
        except ValueError:
            return None
        for step in self._path:
            if not isinstance(value, dict):
                return None
            value = value.get(step)
        return None if value is None else str(value)


class EchoMatcher(Matcher):
    spec = "echo"

    def sent_key(self, message_id: str, text: str) -> str:
        return text

    def reply_key(self, reply: str | bytes) -> str | None:
        return reply if isinstance(reply, str) else reply.decode("utf-8", "replace")


class RegexMatcher(Matcher):
    def __init__(self, spec: str, pattern: re.Pattern[str]) -> None:
        self.spec = spec
        self._pattern = pattern

    def sent_key(self, message_id: str, text: str) -> str:
        return message_id

    def reply_key(self, reply: str | bytes) -> str | None:
        text = reply if isinstance(reply, str) else reply.decode("utf-8", "replace")
        found = self._pattern.search(text)
        return found.group(1) if found else None


def parse_matcher(spec: str) -> Matcher:
    kind, _, arg = str(spec).strip().partition(":")
    if kind == "echo" and not arg:
        return EchoMatcher()
    if kind == "id" and arg and all(arg.split(".")):
        return FieldMatcher(spec, arg.split("."))
    if kind == "regex" and arg:
        try:
            pattern = re.compile(arg)
        except re.error as error:
            raise MessageSpecError(
                f"matcher {spec!r}: invalid regular expression: {error}"
            ) from None
        if pattern.groups < 1:
            raise MessageSpecError(
                f"matcher {spec!r}: the pattern needs a (group) capturing the id"
            )
        return RegexMatcher(spec, pattern)
    raise MessageSpecError(
        f"matcher {spec!r}: expected id:FIELD (JSON field, a.b for nested), echo, "
        "or regex:PATTERN with one group"
    )


def check_pair(template: MessageTemplate, matcher: Matcher) -> None:
    """Render one message and make sure the matcher would recognise its reply."""
    compiled = template.compile()
    probe_id = "0-1"
    text = compiled.render(probe_id, 0, 1)
    if isinstance(matcher, FieldMatcher):
        try:
            json.loads(text)
        except ValueError as error:
            raise MessageSpecError(
                f"message template is not valid JSON but matcher {matcher.spec!r} reads a JSON "
                f"field: {error}"
            ) from None
    if isinstance(matcher, RegexMatcher):
        return  # replies may be shaped unlike requests; the pattern compiled, that is all
    expected = matcher.sent_key(probe_id, text)
    if matcher.reply_key(text) != expected:
        raise MessageSpecError(
            f"matcher {matcher.spec!r} does not find the id in the message template "
            f"{template.text!r} (a reply echoing it would never match)"
        )
