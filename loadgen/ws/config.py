"""What one WebSocket run does: the session each connection runs, and the run around them."""

from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from functools import cached_property

from loadgen.ws.messages import (
    DEFAULT_MATCHER,
    DEFAULT_TEMPLATE,
    Matcher,
    MessageTemplate,
    check_pair,
    parse_matcher,
)
from loadgen.ws.thinktime import ThinkTime

MODES = ("session", "connection-limit", "throughput", "typing-delay", "stability")


@dataclass(frozen=True)
class SessionConfig:
    url: str
    headers: tuple[tuple[str, str], ...] = ()
    subprotocols: tuple[str, ...] = ()
    token: str | None = None  # sent as "Authorization: Bearer <token>"
    ca_file: str | None = None  # PEM certificates trusted for wss:// instead of the system's
    template: str = DEFAULT_TEMPLATE
    matcher: str = DEFAULT_MATCHER
    payload_size: int = 16
    think_time: ThinkTime = field(default_factory=ThinkTime)
    send_messages: bool = True
    window: int = 1  # messages in flight per connection before waiting for replies
    reply_timeout: float = 5.0
    connect_timeout: float = 10.0
    close_timeout: float = 2.0
    session_duration: float | None = None  # None: hold until the run ends
    reconnect: bool = False
    backoff_initial: float = 0.5
    backoff_max: float = 10.0
    ping_interval: float | None = None  # None: no keepalive task per connection
    max_queue: int = 4
    write_limit: int = 4096
    max_size: int = 1 << 20

    def message_template(self) -> MessageTemplate:
        return MessageTemplate(self.template, self.payload_size)

    def build_matcher(self) -> Matcher:
        return parse_matcher(self.matcher)

    def validate(self) -> None:
        """Raise MessageSpecError for a template/matcher pair that could never work."""
        check_pair(self.message_template(), self.build_matcher())

    @cached_property
    def ssl_context(self) -> ssl.SSLContext | None:
        """The TLS context for wss:// with `ca_file` trusted; None: the library's default.

        Loaded once per config, so the check before the run and the run's connections
        share the certificates read then. Raises OSError or ssl.SSLError when the file
        cannot be read as PEM certificates (and tries again on the next access)."""
        if self.ca_file is None:
            return None
        return ssl.create_default_context(cafile=self.ca_file)

    def all_headers(self) -> list[tuple[str, str]]:
        headers = list(self.headers)
        if self.token:
            headers.append(("Authorization", f"Bearer {self.token}"))
        return headers


@dataclass(frozen=True)
class RunConfig:
    session: SessionConfig
    mode: str = "session"
    connections: int = 10
    ramp: float = 100.0  # connections opened per second
    duration: float = 30.0  # seconds of the whole run after the ramp starts
    scenario: str = "adhoc"
    max_error_ratio: float = 0.05  # connection-limit: stop ramping above this
    settle: float = 2.0  # connection-limit: seconds held after the ramp stops
    expected_delay: float | None = None  # typing-delay: the server's configured reply delay
    seed: int | None = None
