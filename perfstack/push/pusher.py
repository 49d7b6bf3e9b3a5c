"""Pushes a prometheus_client registry to a remote-write endpoint every `interval` seconds.

Two background threads (greenlets under gevent's monkey patching): the snapshotter
collects and encodes the registry on a fixed schedule, the sender POSTs batches oldest
first and retries with capped exponential backoff. They only meet at the bounded
BatchBuffer, so a slow or dead endpoint never delays snapshots, and the code recording
metrics never waits for either (it only touches prometheus_client objects).

A caller that already wakes up every interval can instead call `tick()` from that loop and
never `start()`: one wake-up a second instead of the threads' two, which matters where an
idle wake-up costs milliseconds of CPU (measured ~3 ms on the 2-core VMs this runs on).
"""

from __future__ import annotations

import logging
import random
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.metrics.health import PusherCountersCollector
from perfstack.push.buffer import BatchBuffer
from perfstack.push.config import PushConfig
from perfstack.push.http import Outcome, RemoteWriteClient, SendResult, post_batch
from perfstack.push.snapshot import Batch, Collectable, Snapshotter

log = logging.getLogger("perfstack.push.pusher")

DROP_REASONS = ("buffer_full", "rejected", "out_of_order", "unsent_at_stop")


@dataclass
class PushStats:
    pushes_ok: int = 0
    pushes_failed: int = 0  # attempts that will be retried (5xx, 429, connection errors)
    samples_sent: int = 0
    samples_dropped: dict[str, int] = field(default_factory=lambda: dict.fromkeys(DROP_REASONS, 0))
    snapshots: int = 0
    pending_batches: int = 0
    pending_samples: int = 0
    series: int = 0
    last_error: str | None = None
    # the store's first permanent refusal ("HTTP 403: ..."): the run's end reports it
    refused: str | None = None
    # the first 2xx that carried a body: accepted, but not what a receiver answers
    unexpected_answer: str | None = None

    @property
    def dropped_total(self) -> int:
        return sum(self.samples_dropped.values())


def refused_writes_error(where: str, refusal: str, samples_dropped: int) -> PerfstackError:
    """The end of a run whose store refused writes (`where`: the flag and the URL): the run
    went on and its record keeps every refused sample counted."""
    return PerfstackError(
        f"{where}: the store refused writes ({refusal}); {samples_dropped} samples dropped, "
        "counted in the run record's samples_dropped",
        ExitCode.STORE_REFUSED_WRITES,
    )


class RemoteWritePusher:
    def __init__(
        self, registry: Collectable, config: PushConfig, *, clock: Callable[[], float] = time.time
    ) -> None:
        self.config = config
        self._stats = PushStats()
        self._stats_lock = threading.Lock()
        extra = (PusherCountersCollector(lambda: self.stats),) if config.self_metrics else ()
        self._snapshotter = Snapshotter(registry, config.labels, extra, clock)
        self._snapshot_lock = threading.Lock()  # keeps snapshot timestamps and seq in order
        self._buffer = BatchBuffer(config.max_batches)
        self._stop_snapshots = threading.Event()
        self._closing = threading.Event()
        self._retry_now = threading.Event()  # set by flush/stop: cut a backoff wait short
        self._threads: list[threading.Thread] = []
        self._logged: set[str] = set()
        self._stopped = False
        self._last_seq = 0
        self._tick_failures = 0
        self._tick_retry_at = 0.0
        # Without threads, tick(), flush() and stop() send from the callers' own threads
        # (or greenlets) over one connection: never two at once.
        self._inline_lock = threading.RLock()
        try:  # built here so bad TLS files fail in the caller, not in a background thread
            self._client = RemoteWriteClient(config)
        except (OSError, ssl.SSLError) as exc:
            raise PerfstackError(
                f"push TLS files (ca_file={config.ca_file}, client_cert={config.client_cert}): "
                f"{exc}",
                ExitCode.USAGE,
            ) from exc

    # -- public API ---------------------------------------------------------------------
    def start(self) -> RemoteWritePusher:
        if self._threads:
            return self
        for target, name in ((self._snapshot_loop, "snapshots"), (self._send_loop, "sender")):
            thread = threading.Thread(target=target, name=f"remote-write-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def flush(self, timeout: float = 10.0) -> bool:
        """Snapshot now and wait until it and everything before it left the buffer.

        True when all of it was sent; False on timeout or when something was dropped.
        """
        if self._stopped:
            return self._buffer.pending_batches == 0
        with self._inline_lock:
            return self._flush(timeout)

    def _flush(self, timeout: float) -> bool:
        # one deadline for sending and waiting: without threads the inline send already
        # spends the budget, and waiting a second `timeout` after it made stop() take twice
        # its stop_timeout (30 s instead of 15 s at the end of a Locust run)
        deadline = time.monotonic() + timeout
        dropped_before = self.stats.dropped_total
        try:
            self._snapshot()
            collected = True
        except Exception:  # still send what is queued
            log.exception("remote write: collecting the registry failed")
            collected = False
        self._retry_now.set()  # whoever flushes wants it sent now, not after a backoff
        if not self._threads:
            self._send_inline(timeout)
        done = self._buffer.wait_done(self._last_seq, max(0.0, deadline - time.monotonic()))
        return collected and done and self.stats.dropped_total == dropped_before

    def stop(self, stale: bool = True, timeout: float | None = None) -> bool:
        """Final snapshot and flush, then stale markers for every series sent. Idempotent."""
        with self._inline_lock:
            return self._stop(stale, timeout)

    def _stop(self, stale: bool, timeout: float | None) -> bool:
        if self._stopped:
            return True
        self._stopped = True
        budget = self.config.stop_timeout if timeout is None else timeout
        deadline = time.monotonic() + budget
        self._stop_snapshots.set()
        for thread in self._threads[:1]:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        sent = self._flush(max(0.0, deadline - time.monotonic()))
        if stale:
            with self._snapshot_lock:
                markers = self._snapshotter.stale_markers()
                self._enqueue(markers)
            if not self._threads:
                self._send_inline(max(0.0, deadline - time.monotonic()))
            remaining = max(0.0, deadline - time.monotonic())
            sent = self._buffer.wait_done(markers.seq, remaining) and sent
        self._closing.set()
        self._retry_now.set()
        self._buffer.close()
        for thread in self._threads[1:]:
            # A request in flight past the budget is abandoned (daemon thread); its batch
            # is counted unsent even if it lands later.
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
        self._client.close()
        unsent = self._buffer.drain()
        if unsent:
            self._count_drop("unsent_at_stop", unsent, "stopped with batches unsent")
            sent = False
        return sent

    def tick(self) -> None:
        """Snapshot now and send what is due from the caller's thread (instead of start()).

        A failing endpoint is retried on later ticks, oldest batch first, with the same
        capped exponential backoff as the sender thread; meanwhile snapshots keep queueing.
        """
        with self._inline_lock:
            if self._threads or self._stopped:
                raise RuntimeError("tick() drives a pusher that was neither started nor stopped")
            self._tick()

    def _tick(self) -> None:
        try:
            self._snapshot()
        except Exception:  # a broken collector must not end the caller's loop
            log.exception("remote write: collecting the registry failed")
        if time.monotonic() < self._tick_retry_at:
            return
        while (batch := self._buffer.head(timeout=0)) is not None:
            if not self._settle(batch, post_batch(self._client, batch.body)):
                self._tick_failures += 1
                self._tick_retry_at = time.monotonic() + self.config.backoff(self._tick_failures)
                return
        self._tick_failures = 0

    @property
    def stats(self) -> PushStats:
        with self._stats_lock:
            copy = PushStats(**{**self._stats.__dict__})
            copy.samples_dropped = dict(self._stats.samples_dropped)
        copy.pending_batches = self._buffer.pending_batches
        copy.pending_samples = self._buffer.pending_samples
        copy.series = self._snapshotter.series_known
        return copy

    def __enter__(self) -> RemoteWritePusher:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- snapshots ----------------------------------------------------------------------
    def _snapshot(self) -> Batch:
        with self._snapshot_lock:
            batch = self._snapshotter.take()
            self._enqueue(batch)
        with self._stats_lock:
            self._stats.snapshots += 1
        return batch

    def _enqueue(self, batch: Batch) -> None:
        self._last_seq = batch.seq
        dropped = self._buffer.put(batch)
        if dropped:
            self._count_drop("buffer_full", dropped, "buffer full, dropping oldest snapshots")

    def _snapshot_loop(self) -> None:
        interval = self.config.interval
        next_at = time.monotonic()
        while not self._stop_snapshots.is_set():
            try:
                self._snapshot()
            except Exception:  # a broken collector must not end the pipeline
                log.exception("remote write: collecting the registry failed")
            next_at += interval
            now = time.monotonic()
            if next_at < now:  # fell behind (e.g. a stalled process): skip, don't burst
                next_at = now + interval
            self._stop_snapshots.wait(next_at - now)

    # -- sending ------------------------------------------------------------------------
    def _send_loop(self) -> None:
        client = self._client
        failures = 0
        while True:
            batch = self._buffer.head(timeout=None)  # no polling: wakes on put or close
            if batch is None:
                if self._closing.is_set():
                    return
                continue
            result = post_batch(client, batch.body)
            if self._settle(batch, result):
                failures = 0
                continue
            failures += 1
            if self._closing.is_set():
                return
            self._retry_now.wait(self.config.backoff(failures) * random.uniform(0.8, 1.0))
            self._retry_now.clear()

    def _send_inline(self, timeout: float) -> None:
        """Without start(): send what is queued from the caller's thread (tests, one-shots)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            batch = self._buffer.head(timeout=0)
            if batch is None:
                return
            if not self._settle(batch, post_batch(self._client, batch.body)):
                time.sleep(min(0.2, max(0.0, deadline - time.monotonic())))

    def _settle(self, batch: Batch, result: SendResult) -> bool:
        """Book the outcome; True when the batch left the buffer."""
        if result.outcome is Outcome.SENT:
            self._buffer.remove(batch)
            with self._stats_lock:
                self._stats.pushes_ok += 1
                self._stats.samples_sent += batch.samples
                if result.unexpected and self._stats.unexpected_answer is None:
                    self._stats.unexpected_answer = result.detail
            if result.unexpected:
                self._log_once(
                    "unexpected",
                    f"remote write to {self.config.where}: accepted with {result.detail}; a "
                    "remote-write receiver answers with an empty body, so this may be a stand-in "
                    "that keeps nothing: check the URL",
                )
            if "retry" in self._logged:
                self._logged.discard("retry")
                log.warning("remote write to %s recovered", self.config.url)
            return True
        if result.outcome is Outcome.RETRY:
            self._buffer.release(batch)
            with self._stats_lock:
                self._stats.pushes_failed += 1
                self._stats.last_error = result.detail
            self._log_once(
                "retry", f"remote write to {self.config.url} failing, will retry: {result.detail}"
            )
            return False
        self._buffer.remove(batch)
        if result.outcome is Outcome.REJECTED:
            with self._stats_lock:
                self._stats.refused = self._stats.refused or result.detail
        self._count_drop(result.outcome.value, [batch], result.detail)
        return True

    def _count_drop(self, reason: str, batches: list[Batch], detail: str) -> None:
        with self._stats_lock:
            self._stats.samples_dropped[reason] = self._stats.samples_dropped.get(reason, 0) + sum(
                b.samples for b in batches
            )
            if reason != "buffer_full":
                self._stats.last_error = detail
        if reason == "rejected":
            message = (
                f"remote write to {self.config.where} refused: {detail}; every refused batch is "
                "dropped and counted (samples dropped, reason rejected)"
            )
        else:
            message = f"remote write: samples dropped ({reason}): {detail}"
        self._log_once(reason, message)

    def _log_once(self, key: str, message: str) -> None:
        if key not in self._logged:
            self._logged.add(key)
            log.warning(message)
