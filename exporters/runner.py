"""One exporter run: targets resolved, registry built, push and/or /metrics, the tick loop.

The sampler and the registry are injectable (tests hand a recorded sampler and read the
registry directly). The loop samples every `interval`; the pusher and /metrics serve the
latest pass. Prometheus being away only fills the pusher's buffer: sampling goes on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server

from exporters.collector import ResourceCollector
from exporters.launch import LaunchedTarget
from exporters.sampler import PsutilSampler, Sampler
from exporters.targets import TargetSpec, TargetTracker, default_name, own_lineage
from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher

log = logging.getLogger("exporters")


@dataclass
class ExporterOptions:
    targets: list[TargetSpec]
    command: list[str] = field(default_factory=list)  # launch this and watch it
    launch_name: str | None = None
    interval: float = 1.0
    remote_write_url: str | None = None  # None: no push
    push_labels: dict[str, str] = field(default_factory=dict)
    buffer_seconds: float = 300.0
    listen: tuple[str, int] | None = None
    duration: float | None = None
    with_host: bool = True
    with_uss: bool = True
    with_connections: bool = True
    stop_timeout: float = 5.0  # final flush + stale markers; Prometheus may be away


class ExporterRun:
    def __init__(
        self,
        options: ExporterOptions,
        sampler: Sampler | None = None,
        registry: CollectorRegistry | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not options.targets and not options.command:
            raise PerfstackError(
                "no target: give --pid, --name, --cmdline, --port or -- COMMAND", ExitCode.USAGE
            )
        if options.interval <= 0:
            raise PerfstackError("--interval must be > 0 seconds", ExitCode.USAGE)
        self.options = options
        self.sampler = sampler or PsutilSampler(options.with_uss, options.with_connections)
        self.registry = registry or CollectorRegistry()
        self.clock = clock
        self.stop_event = threading.Event()
        self.launched: LaunchedTarget | None = None
        self.pusher: RemoteWritePusher | None = None
        self.collector: ResourceCollector | None = None
        self._server: Any = None
        self._failures: set[str] = set()

    def start(self) -> ExporterRun:
        specs = list(self.options.targets)
        exclude = own_lineage()
        if self.options.command:
            self.launched = LaunchedTarget(self.options.command)
            launch = TargetSpec("launch", self.launched.text, self.options.launch_name)
            launch.launched_pid = self.launched.pid
            specs.append(launch)
        try:
            trackers = [TargetTracker(spec, self.sampler, exclude) for spec in specs]
            for tracker in trackers:
                if tracker.spec.name is None:
                    tracker.spec.name = default_name(tracker.spec)
                tracker.start()
            _check_unique_names(specs)
            self.collector = ResourceCollector(
                self.sampler,
                trackers,
                clock=self.clock,
                max_age=1.5 * self.options.interval,
                with_host=self.options.with_host,
            )
            self.collector.refresh()
            self.registry.register(self.collector)
            if self.options.listen:
                self._serve(*self.options.listen)
            if self.options.remote_write_url:
                self.pusher = RemoteWritePusher(
                    self.registry,
                    PushConfig(
                        self.options.remote_write_url,
                        interval=self.options.interval,
                        labels=self.options.push_labels,
                        buffer_seconds=self.options.buffer_seconds,
                        stop_timeout=self.options.stop_timeout,
                    ),
                )  # driven by run()'s loop: one wake-up per interval for both jobs
        except BaseException:
            self.close()
            raise
        return self

    def run(self) -> int:
        """Sample every interval until stopped, the duration ends or the launched command exits."""
        assert self.collector is not None, "start() first"
        started = self.clock()
        next_tick = started + self.options.interval
        while not self.stop_event.wait(max(0.0, next_tick - self.clock())):
            self._refresh()
            if self.pusher is not None:
                self.pusher.tick()
            next_tick += self.options.interval
            if next_tick < self.clock():  # fell behind (host stalled): skip ticks, don't burst
                next_tick = self.clock() + self.options.interval
            if self.launched and self.launched.exit_code() is not None:
                log.warning("launched command exited with %s", self.launched.exit_code())
                return int(self.launched.exit_code() or 0)
            if self.options.duration and self.clock() - started >= self.options.duration:
                break
        return ExitCode.OK

    def _refresh(self) -> None:
        """One pass; an unexpected error is logged (once per kind) and the run goes on."""
        assert self.collector is not None
        try:
            self.collector.refresh()
        except Exception as error:
            kind = type(error).__name__
            if kind not in self._failures:
                self._failures.add(kind)
                log.exception("sampling failed (%s); continuing with the next interval", kind)

    def close(self) -> None:
        """Final push with stale markers, /metrics down, a launched command stopped."""
        if self.pusher is not None:
            if not self.pusher.stop(stale=True):
                stats = self.pusher.stats
                log.warning(
                    "remote write: %d samples not delivered (last error: %s)",
                    stats.dropped_total,
                    stats.last_error,
                )
            self.pusher = None
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self.launched is not None and self.launched.exit_code() is None:
            self.launched.stop()

    def _serve(self, host: str, port: int) -> None:
        try:
            self._server, _ = start_http_server(port, addr=host, registry=self.registry)
        except OSError as error:
            raise PerfstackError(
                f"--listen {host}:{port}: cannot listen ({error.strerror or error})",
                ExitCode.PORT_IN_USE,
            ) from None

    @property
    def metrics_port(self) -> int:
        return int(self._server.server_address[1]) if self._server else 0


def _check_unique_names(specs: list[TargetSpec]) -> None:
    seen: dict[str, TargetSpec] = {}
    for spec in specs:
        name = spec.name or ""
        if name in seen:
            raise PerfstackError(
                f"{spec.flag} and {seen[name].flag} are both named {name!r}; "
                "give each a --target-name",
                ExitCode.USAGE,
            )
        seen[name] = spec
