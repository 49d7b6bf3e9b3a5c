"""The flags `perfstack agent` starts vmagent with: a disk queue between the generators of
one host and the central store, for outages longer than the pushers' in-memory buffer
(docs/push-pipeline.md, "Outages longer than the buffer")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from perfstack.core.errors import ExitCode, PerfstackError

STORES = ("prometheus", "victoria-metrics")
_SIZE = re.compile(r"^\d+(\.\d+)?(KB|MB|GB|KiB|MiB|GiB)?$")


@dataclass(frozen=True)
class AgentPlan:
    store_url: str  # the central store's remote-write URL
    store: str  # "prometheus" or "victoria-metrics"
    data_dir: Path
    port: int
    max_disk: str  # vmagent size syntax, e.g. 2GB; "0" is unlimited

    def __post_init__(self) -> None:
        parts = urlsplit(self.store_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise PerfstackError(
                f"--store-url {self.store_url!r}: expected the store's remote-write URL, "
                "http(s)://host[:port]/path (e.g. http://metrics-host:9090/api/v1/write)",
                ExitCode.USAGE,
            )
        if self.store not in STORES:
            raise PerfstackError(
                f"--store {self.store!r}: expected one of {', '.join(STORES)}", ExitCode.USAGE
            )
        if not 1 <= self.port <= 65535:
            raise PerfstackError(f"--port {self.port}: expected a port 1-65535", ExitCode.USAGE)
        if not _SIZE.match(self.max_disk):
            raise PerfstackError(
                f"--max-disk {self.max_disk!r}: expected a size like 500MB or 2GB (0: no cap)",
                ExitCode.USAGE,
            )

    @property
    def write_url(self) -> str:
        """Where the generators of this host push."""
        return f"http://127.0.0.1:{self.port}/api/v1/write"


def forwarding_flags(store: str, max_disk: str) -> list[str]:
    """How vmagent holds and forwards (all but where it listens, sends and queues); the
    outage test and bench run vmagent with these too."""
    flags = [f"-remoteWrite.maxDiskUsagePerURL={max_disk}", "-remoteWrite.flushInterval=1s"]
    if store == "prometheus":
        # Prometheus refuses a sample older than its series' last one, and vmagent drops a
        # block answered 400: one queue sends the backlog oldest first (the default 2 x CPUs
        # lost ~30% of a 30 s outage's samples here)
        flags.append("-remoteWrite.queues=1")
    return flags


def vmagent_argv(plan: AgentPlan, binary: str = "vmagent") -> list[str]:
    return [
        binary,
        f"-httpListenAddr=127.0.0.1:{plan.port}",
        f"-remoteWrite.url={plan.store_url}",
        f"-remoteWrite.tmpDataPath={plan.data_dir}",
        *forwarding_flags(plan.store, plan.max_disk),
    ]
