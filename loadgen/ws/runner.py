"""Run a WebSocket load test end to end: push metrics, drive slots, write the run record.

In-process: `run_ws(WsRunOptions(...))` (what `perfstack ws` calls).
Next to Locust under one testid (what `perfstack run` calls for a scenario with a
`websocket:` section): `WsProcess.start(scenario_file, testid=..., ...)` starts
`python -m loadgen.ws --scenario FILE --testid T --no-record --summary-json PATH` (=
`perfstack ws ...`) in its own process; `.wait()` (or `.stop()` to end it early) returns
its summary, which `attach_ws_summary(record, summary)` puts into the Locust run's record.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from loadgen.ws.config import RunConfig
from loadgen.ws.driver import Driver, DriveResult
from loadgen.ws.metrics import WsCollector
from loadgen.ws.report import build_record, summary, target_label
from loadgen.ws.session import SlotContext
from loadgen.ws.tally import WsTally
from perfstack.core.identity import RunIdentity
from perfstack.core.processes import stop_children
from perfstack.core.record import RunRecord, joined_with_existing, record_path, write_record
from perfstack.history.summary import attach_summary
from perfstack.metrics.health import AsyncioLagTicker, GeneratorHealth
from perfstack.metrics.schema import RunMetrics
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher


@dataclass
class WsRunOptions:
    run: RunConfig
    testid: str | None = None
    remote_write_url: str | None = None  # None: no push
    remote_write_source: str = ""  # the flag it came from, for a store that refuses writes
    prometheus_url: str = ""  # for the record only
    push_interval: float = 1.0
    push_stop_timeout: float = 5.0
    state_dir: Path | None = None  # None: no record written
    instance: str | None = None
    stop_event: threading.Event | None = None  # set it (from any thread) to end the run early
    labels: dict[str, str] = field(default_factory=dict)  # extra labels of the run summary


@dataclass
class WsOutcome:
    identity: RunIdentity
    summary: dict[str, Any]
    record: RunRecord
    record_path: Path | None = None
    record_error: str | None = None  # set when the record could not be written
    pushed_ok: bool | None = None
    push_stats: Any = None
    tally: WsTally = field(default_factory=WsTally)


def run_ws(options: WsRunOptions, tally: WsTally | None = None) -> WsOutcome:
    """Blocks until the run ends; pass `tally` to watch the counts from another thread."""
    run = options.run
    run.session.validate()
    identity = RunIdentity.create(run.scenario, "ws", options.testid, options.instance)
    registry = CollectorRegistry()
    tally = tally if tally is not None else WsTally()
    collector = WsCollector(tally)
    registry.register(collector)
    run_metrics = RunMetrics(registry)
    start = time.time()
    run_metrics.started(target_label(run.session.url), "websocket", start)
    pusher = None
    if options.remote_write_url:
        config = PushConfig(
            url=options.remote_write_url,
            interval=options.push_interval,
            labels=identity.labels(),
            stop_timeout=options.push_stop_timeout,
            url_source=options.remote_write_source,
        )
        pusher = RemoteWritePusher(registry, config).start()
    health_holder: list[GeneratorHealth] = []
    try:
        drive = asyncio.run(_drive(run, tally, registry, health_holder, options.stop_event))
        exit_status = "interrupted" if drive.interrupted else "ok"
    except KeyboardInterrupt:
        drive, exit_status = DriveResult(ramp_stopped_by="stopped", interrupted=True), "interrupted"
    end = time.time()
    run_metrics.ended(end)
    collector.publish_run_percentiles()
    pushed_ok = pusher.stop(stale=True) if pusher else None
    ws = summary(run, tally, drive)
    record = build_record(identity, ws, tally, start, end)
    record.exit_status = exit_status
    record.exit_code = 130 if exit_status == "interrupted" else 0
    record.prometheus_url = options.prometheus_url
    if health_holder:
        record.generator_saturated = health_holder[0].was_saturated
    if pusher:
        stats = pusher.stats
        record.samples_dropped = stats.dropped_total
        if stats.refused:
            record.extra["store_refused"] = stats.refused
    outcome = WsOutcome(identity, ws, record, pushed_ok=pushed_ok, tally=tally)
    outcome.push_stats = pusher.stats if pusher else None
    if options.state_dir is not None:
        attach_summary(record, options.labels)
        try:
            joined = joined_with_existing(options.state_dir, record)
            if joined is not record:  # the HTTP record of the same testid gains the RTT
                attach_summary(joined, options.labels)
            outcome.record_path = write_record(options.state_dir, joined)
        except OSError as error:
            # Not raised: the caller still reports what was measured, then this error.
            path = record_path(options.state_dir, record.testid)
            reason = error.strerror or str(error)
            outcome.record_error = f"cannot write the run record {path}: {reason}"
    return outcome


async def _drive(
    run: RunConfig,
    tally: WsTally,
    registry: CollectorRegistry,
    health: list[GeneratorHealth],
    stop_event: threading.Event | None,
) -> DriveResult:
    ctx = SlotContext(run.session, tally)
    if run.seed is not None:
        ctx.rng.seed(run.seed)
    driver = Driver(run, ctx)
    health.append(GeneratorHealth(registry, AsyncioLagTicker()))
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, driver.request_stop)
    finished = threading.Event()
    if stop_event is not None:
        watcher = (stop_event, loop, driver, finished)
        threading.Thread(target=_watch_stop, args=watcher, daemon=True).start()
    try:
        result = await driver.drive()
    finally:
        finished.set()
        health[0].close()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(sig)
    return result


def _watch_stop(
    stop: threading.Event,
    loop: asyncio.AbstractEventLoop,
    driver: Driver,
    finished: threading.Event,
) -> None:
    while not finished.is_set():
        if stop.wait(0.1):
            with contextlib.suppress(RuntimeError):  # the loop may have closed meanwhile
                loop.call_soon_threadsafe(driver.request_stop, False)
            return


def attach_ws_summary(record: RunRecord, ws_summary: dict[str, Any]) -> RunRecord:
    """Put a WebSocket run's summary into another generator's record of the same testid."""
    record.extra["ws"] = ws_summary
    return record


class WsProcess:
    """`perfstack ws` in a child process, for running beside Locust under one testid."""

    def __init__(self, process: subprocess.Popen[bytes], summary_path: Path) -> None:
        self.process = process
        self.summary_path = summary_path

    @classmethod
    def start(
        cls,
        scenario_file: str | Path,
        *,
        testid: str,
        remote_write_url: str | None,
        duration: float | None = None,
        extra_args: tuple[str, ...] = (),
        log_path: Path | None = None,
    ) -> WsProcess:
        handle, name = tempfile.mkstemp(prefix="perfstack-ws-", suffix=".json")
        os.close(handle)
        args = [
            sys.executable,
            "-m",
            "perfstack",
            "ws",
            "--scenario",
            str(scenario_file),
            "--testid",
            testid,
            "--no-record",
            "--summary-json",
            name,
        ]
        args += ["--remote-write-url", remote_write_url] if remote_write_url else ["--no-push"]
        if duration is not None:
            args += ["--duration", f"{duration}s"]
        args += list(extra_args)
        output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
        try:
            process = subprocess.Popen(args, stdout=output, stderr=subprocess.STDOUT)
        finally:
            if log_path:
                output.close()  # type: ignore[union-attr]
        return cls(process, Path(name))

    def stop(self, timeout: float = 30.0) -> dict[str, Any] | None:
        """SIGINT (the run ends early and still reports), then wait for the summary."""
        stop_children([self.process], signal.SIGINT, timeout)
        return self.wait()

    def wait(self, timeout: float | None = None) -> dict[str, Any] | None:
        """The child's summary (None if it failed before writing one); exit code: .returncode."""
        if timeout is None:
            self.process.wait()
        else:
            stop_children([self.process], None, timeout)
        try:
            text = self.summary_path.read_text(encoding="utf-8")
            return dict(json.loads(text)) if text.strip() else None
        except (OSError, ValueError):
            return None
        finally:
            self.summary_path.unlink(missing_ok=True)

    @property
    def returncode(self) -> int | None:
        return self.process.returncode
