"""Where and how a pusher sends: the remote-write endpoint, its credentials, the push
interval, and how long a backlog is kept while the endpoint is down."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from perfstack.core.errors import ExitCode, PerfstackError

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")


@dataclass(frozen=True)
class PushConfig:
    url: str
    interval: float = 1.0
    labels: Mapping[str, str] = field(default_factory=dict)
    buffer_seconds: float = 300.0
    basic_auth: tuple[str, str] | None = None
    bearer_token: str | None = None
    ca_file: str | None = None
    client_cert: tuple[str, str] | None = None  # (cert file, key file) for mutual TLS
    timeout: float = 5.0
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. X-Scope-OrgID for Mimir
    min_backoff: float = 0.2  # first retry delay; doubles per failure up to max_backoff
    max_backoff: float = 5.0
    stop_timeout: float = 15.0  # how long stop() may spend flushing the backlog
    self_metrics: bool = True  # push loadgen_samples_dropped_total & remote-write counters
    # where the user set `url` (flag / environment variable): named when the store refuses
    url_source: str = ""

    @property
    def where(self) -> str:
        """The URL as messages name it: with the flag or variable it came from, if known."""
        return f"{self.url_source} {self.url}" if self.url_source else self.url

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        try:
            parts.port  # noqa: B018  (raises on a port that is not a number)
        except ValueError:
            parts = parts._replace(netloc="")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise PerfstackError(
                f"remote-write URL {self.url!r}: expected http(s)://host[:port]/path",
                ExitCode.USAGE,
            )
        for name in ("interval", "timeout", "min_backoff", "max_backoff"):
            if not (getattr(self, name) > 0 and math.isfinite(getattr(self, name))):
                raise PerfstackError(f"push {name} must be a positive number", ExitCode.USAGE)
        if self.buffer_seconds < self.interval:
            raise PerfstackError(
                f"push buffer_seconds ({self.buffer_seconds}) must be >= interval "
                f"({self.interval})",
                ExitCode.USAGE,
            )
        for name in self.labels:
            if not _LABEL_NAME.match(name) or name.startswith("__"):
                raise PerfstackError(
                    f"push label {name!r}: expected [a-zA-Z_][a-zA-Z0-9_]*, not starting with __",
                    ExitCode.USAGE,
                )
        if self.basic_auth and self.bearer_token:
            raise PerfstackError("use basic auth or a bearer token, not both", ExitCode.USAGE)

    def backoff(self, failures: int) -> float:
        """Seconds to wait after `failures` failed sends in a row: doubling from min_backoff,
        capped at max_backoff (the exponent is bounded so 2**n cannot overflow)."""
        return min(self.max_backoff, self.min_backoff * 2 ** min(failures - 1, 20))

    @property
    def max_batches(self) -> int:
        return max(1, math.ceil(self.buffer_seconds / self.interval))
