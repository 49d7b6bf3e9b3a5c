"""Synthetic perfstack generators for bench_store_scale.py: one OS process drives many of
them on one asyncio loop, each pushing its own series by remote write every interval.

A generator here pushes what a perfstack Locust generator pushes: the series of the real
schema (perfstack.metrics.schema and .health, collected once from the real classes) for
`names` request names, under its own `instance` label, with a fresh timestamp and moving
counter values on every push. The cost of a push is kept far below the store's: the
uncompressed WriteRequest of a generator is one fixed byte layout (the timestamp's varint
is 6 bytes from 1971 to 2109, the instance is zero-padded), so a push copies a template
and writes the instance, the values and the timestamp at known offsets with numpy, then
snappy-compresses it. Each generator keeps its own HTTP/1.1 connection, as a generator
process does.

A generator sends one push after the other, never two at once: a push that is late makes
the next one start late, so a store that cannot keep up shows as pushes completing ever
later after their scheduled time (the backlog a real pusher would buffer).

Run by the bench, not by hand: it reads one JSON command per line on stdin and answers
one JSON line per report on stdout.

    {"op": "step", "id": 3, "generators": 64, "start": t, "stagger": s, "window": [a, b]}
        run generators 0..63 (this process's share: index % processes == process);
        the new ones push first at `start` plus up to `stagger` seconds plus their phase;
        report on the pushes scheduled in [a, b) once they had an interval to complete
    {"op": "stop"}: stop every generator, report the totals and exit
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import cramjam
import numpy as np
from numpy.typing import NDArray

from perfstack.metrics.health import GeneratorHealth, PusherCountersCollector
from perfstack.metrics.registry import Registry
from perfstack.metrics.schema import HttpMetrics, RunMetrics
from perfstack.push.remote_write import CONTENT_HEADERS, SnapshotEncoder, encode_labels

INSTANCE_DIGITS = 6
INSTANCE_PLACEHOLDER = "#" * INSTANCE_DIGITS
TIMESTAMP_BYTES = 6  # varint of a millisecond Unix time in [2**35, 2**42)
GOLDEN = (math.sqrt(5) - 1) / 2
# no answer (refused, reset, timed out, closed early) or an answer that is not HTTP
PUSH_ERRORS = (
    OSError,
    TimeoutError,
    EOFError,
    ValueError,
    asyncio.LimitOverrunError,
)  # phases spread evenly over the interval, whatever the count


@dataclass(frozen=True)
class SeriesSet:
    """One generator's series: their names and labels, and per push how much each moves
    (`step`) and whether it counts whole events (`whole`)."""

    labels: list[dict[str, str]]
    step: NDArray[np.float64]
    whole: NDArray[np.bool_]

    def __len__(self) -> int:
        return len(self.labels)


class _NoPushes:
    samples_dropped: dict[str, int] = {}
    pushes_ok = 0
    pushes_failed = 0


def series_set(names: int) -> SeriesSet:
    """The series a perfstack Locust generator pushes with `names` request names (one method
    and status each, one error type failing now and then): collected from the real metric
    classes, so it follows the schema as it changes. Static labels as the pusher adds them."""
    registry = Registry()
    http = HttpMetrics(registry)
    RunMetrics(registry).started("http://127.0.0.1:8080", "ApiUser", time.time())
    GeneratorHealth(registry)
    registry.register(PusherCountersCollector(lambda: _NoPushes))
    http.users_active.labels("ApiUser").set(10)
    mean_ms = {f"/api/v1/items/{index:03d}": 20.0 * (1 + index % 7) for index in range(names)}
    for name, mean in mean_ms.items():
        http.duration.add_batch((name, "GET", "200"), [mean])
        http.failures.labels(name, "GET", "http_5xx").inc()
    static = {
        "testid": "store-scale",
        "scenario": "store-scale",
        "generator": "locust",
        "instance": f"scale-{INSTANCE_PLACEHOLDER}",
    }
    labels: list[dict[str, str]] = []
    steps: list[float] = []
    whole: list[bool] = []
    rate = 50.0  # requests per second and name: a modest Locust process
    for family in registry.collect():
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            labels.append({**static, **sample.labels, "__name__": sample.name})
            mean = mean_ms.get(sample.labels.get("name", ""), 0.0) / 1000.0
            if sample.name.endswith("_bucket"):
                le = float(sample.labels["le"])
                # exponential latencies: the share of requests at or below `le`
                steps.append(rate * (1.0 - math.exp(-le / mean)) if le < math.inf else rate)
            elif sample.name.endswith(("_count", "requests_total")):
                steps.append(rate)
            elif sample.name.endswith("_sum"):
                steps.append(rate * mean)
            elif sample.name.endswith("failures_total"):
                steps.append(rate * 0.002)
            else:
                steps.append(0.0)  # gauges and idle counters: they stay as they are
            whole.append(not sample.name.endswith(("_sum", "_seconds_total")))
    return SeriesSet(labels, np.array(steps), np.array(whole))


class PayloadTemplate:
    """A generator's uncompressed WriteRequest as bytes with holes for its instance, the
    values and the timestamp: a push fills them in and compresses."""

    def __init__(self, series: SeriesSet) -> None:
        stamp = int(time.time() * 1000)
        encoder = SnapshotEncoder(stamp)
        if len(encoder.ts_tail) != 1 + TIMESTAMP_BYTES:
            raise RuntimeError("the clock is outside 1971..2109: no 6-byte timestamps")
        parts: list[bytes] = []
        values, stamps, instances = [], [], []
        offset = 0
        placeholder = INSTANCE_PLACEHOLDER.encode()
        for labels in series.labels:
            header = encoder.header(encode_labels(sorted(labels.items())))
            hole = header.find(placeholder)
            instances.append(offset + hole)
            values.append(offset + len(header))
            stamps.append(offset + len(header) + 8 + 1)  # after the value and its tag
            record = header + bytes(8) + encoder.ts_tail
            parts.append(record)
            offset += len(record)
        self.bytes = np.frombuffer(b"".join(parts), dtype=np.uint8).copy()
        self._work = self.bytes.copy()
        self.samples = len(series)
        # flat indices in series order: numpy scatters a flat array several times faster
        # than it broadcasts into a 2-D index
        self._values = (np.array(values)[:, None] + np.arange(8)).ravel()
        self._stamps = (np.array(stamps)[:, None] + np.arange(TIMESTAMP_BYTES)).ravel()
        self._instances = (np.array(instances)[:, None] + np.arange(INSTANCE_DIGITS)).ravel()

    def instance(self, index: int) -> NDArray[np.uint8]:
        """What `fill` writes into the instance holes for generator `index`."""
        digits = f"{index:0{INSTANCE_DIGITS}d}".encode()
        if len(digits) != INSTANCE_DIGITS:
            raise ValueError(f"generator index {index} has more than {INSTANCE_DIGITS} digits")
        return np.tile(np.frombuffer(digits, dtype=np.uint8), self.samples)

    def fill(
        self, instance: NDArray[np.uint8], values: NDArray[np.floating[Any]], timestamp_ms: int
    ) -> bytes:
        """The compressed WriteRequest of a generator (`instance` from `instance()`)."""
        buffer = self._work  # reused: a fresh 100 KB+ array costs its page faults each time
        np.copyto(buffer, self.bytes)
        buffer[self._instances] = instance
        buffer[self._values] = values.astype("<f8", copy=False).view(np.uint8)
        stamp = np.frombuffer(_varint6(timestamp_ms), dtype=np.uint8)
        buffer[self._stamps] = np.tile(stamp, self.samples)
        return bytes(cramjam.snappy.compress_raw(buffer.data))


def _varint6(value: int) -> bytes:
    out = bytearray()
    for _ in range(TIMESTAMP_BYTES - 1):
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    if value > 0x7F:
        raise ValueError("timestamp needs more than 6 varint bytes")
    out.append(value)
    return bytes(out)


class Connection:
    """One kept-alive HTTP/1.1 connection POSTing remote-write bodies. asyncio's streams and
    a few lines of parsing: a client library costs several times the CPU per request, and
    thousands of requests a second from one core have to stay cheap."""

    def __init__(self, host: str, port: int, path: str, timeout: float) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        headers = {**CONTENT_HEADERS, "Host": f"{host}:{port}"}
        self._head = f"POST {path} HTTP/1.1\r\n" + "".join(
            f"{name}: {value}\r\n" for name, value in headers.items()
        )
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def post(self, body: bytes) -> tuple[int, str]:
        """(HTTP status, body); raises OSError or asyncio.TimeoutError."""
        try:
            async with asyncio.timeout(self.timeout):
                return await self._exchange(body)
        except BaseException:
            self.close()
            raise

    async def _exchange(self, body: bytes) -> tuple[int, str]:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self.host, self.port)
        reader, writer = self._streams
        writer.write(f"{self._head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower()
        status = int(head[9:12])
        length, chunked, closing = 0, False, False
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding":
                chunked = "chunked" in value
            elif name == "connection":
                closing = "close" in value
        if chunked:
            answer = b""
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                answer += (await reader.readexactly(size + 2))[:-2]
            await reader.readuntil(b"\r\n")
        else:
            answer = await reader.readexactly(length)
        if closing:
            self.close()
        return status, answer.decode(errors="replace")

    def close(self) -> None:
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None


@dataclass
class Push:
    scheduled: float
    started: float
    ended: float
    samples: int
    error: str | None  # None: a 2xx answer


@dataclass
class Generator:
    index: int
    first: float  # wall time of its first push
    values: NDArray[np.float64]
    rate: float  # its requests per second relative to the series set's
    next_scheduled: float = 0.0  # of the first push not completed yet
    pushes: list[Push] = field(default_factory=list)
    task: asyncio.Task[None] | None = None
    posting: bool = False  # a push in flight: stop() lets it complete


class Pushers:
    """This process's share of the generators and their pushes."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        host, _, rest = args.url.removeprefix("http://").partition(":")
        port, _, path = rest.partition("/")
        self.host, self.port, self.path = host, int(port), "/" + path
        self.series = series_set(args.names)
        self.template = PayloadTemplate(self.series)
        self.generators: dict[int, Generator] = {}
        self.stopping = False
        self.acked_total = 0  # samples in pushes answered 2xx, over the whole run

    def ensure(self, count: int, start: float, stagger: float = 0.0) -> None:
        """Run generators 0..count-1 (this process's share). The new ones start over
        `stagger` seconds from `start`, in whole intervals: the store creates their series
        over that time rather than all in one second."""
        interval = self.args.interval
        new = [
            index
            for index in range(self.args.process, count, self.args.processes)
            if index not in self.generators
        ]
        for rank, index in enumerate(new):
            delay = math.floor(rank / len(new) * stagger / interval) * interval
            # never exactly on a step's edges (whole seconds from the first step's start)
            phase = ((index + 1) * GOLDEN) % 1.0 * interval
            first = start + delay + phase
            rate = 0.5 + (index * GOLDEN) % 1.0
            generator = Generator(index, first, np.zeros(len(self.series)), rate, first)
            generator.task = asyncio.get_running_loop().create_task(self._run(generator))
            self.generators[index] = generator

    async def _run(self, generator: Generator) -> None:
        interval, template = self.args.interval, self.template
        connection = Connection(self.host, self.port, self.path, self.args.timeout)
        instance = template.instance(generator.index)
        step = self.series.step * generator.rate
        whole = self.series.whole
        k = 0
        try:
            while not self.stopping:
                scheduled = generator.first + k * interval
                delay = scheduled - time.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                    if self.stopping:
                        break
                started = time.time()
                generator.values += step
                values = np.where(whole, np.floor(generator.values), generator.values)
                body = template.fill(instance, values, int(scheduled * 1000))
                error: str | None = None
                generator.posting = True
                try:
                    status, answer = await connection.post(body)
                    if 200 <= status < 300:
                        self.acked_total += template.samples
                    else:
                        error = f"HTTP {status}: {' '.join(answer.split())[:120]}"
                except PUSH_ERRORS as exc:
                    error = type(exc).__name__
                finally:
                    generator.posting = False
                generator.pushes.append(
                    Push(scheduled, started, time.time(), template.samples, error)
                )
                k += 1
                generator.next_scheduled = generator.first + k * interval
        finally:
            connection.close()

    def report(self, step_id: int, window: tuple[float, float]) -> dict[str, Any]:
        """The pushes scheduled in the window, those of them not completed yet, and the
        samples of every push the store acknowledged within the window."""
        low, high = window
        interval = self.args.interval
        durations, completions, loop_lags = [], [], []
        errors: dict[str, int] = {}
        acked = pending = pushes = 0
        for generator in self.generators.values():
            kept: list[Push] = []
            previous_end = -math.inf
            for push in generator.pushes:
                if push.error is None and low <= push.ended < high:
                    acked += push.samples
                if push.scheduled >= high:
                    kept.append(push)  # the next step's
                elif push.scheduled >= low:
                    pushes += 1
                    durations.append(push.ended - push.started)
                    completions.append(push.ended - push.scheduled)
                    if previous_end <= push.scheduled:  # not waiting behind the one before
                        loop_lags.append(push.started - push.scheduled)
                    if push.error is not None:
                        errors[push.error] = errors.get(push.error, 0) + 1
                previous_end = push.ended
            generator.pushes = kept
            # slots k (push at first + k * interval) due in the window, not completed yet
            done = round((generator.next_scheduled - generator.first) / interval)
            due_from = max(done, math.ceil((low - generator.first) / interval - 1e-9))
            due_to = math.ceil((high - generator.first) / interval - 1e-9)
            pending += max(0, due_to - due_from)
        return {
            "op": "report",
            "id": step_id,
            "pushes": pushes,
            "pending": pending,
            "durations": durations,
            "completions": completions,
            "loop_lags": loop_lags,
            "errors": errors,
            "acked_samples": acked,
        }

    async def stop(self) -> dict[str, Any]:
        self.stopping = True
        tasks = [g.task for g in self.generators.values() if g.task is not None]
        for generator in self.generators.values():
            if generator.task is not None and not generator.posting:
                generator.task.cancel()  # waiting for its next push: nothing to lose
        await asyncio.gather(*tasks, return_exceptions=True)
        return {
            "op": "stopped",
            "generators": len(self.generators),
            "acked_samples": self.acked_total,
        }


async def serve(args: argparse.Namespace) -> None:
    loop = asyncio.get_running_loop()
    commands: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(commands.put_nowait, json.loads(line))
        loop.call_soon_threadsafe(commands.put_nowait, None)

    def write(message: dict[str, Any]) -> None:
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()

    pushers = Pushers(args)
    threading.Thread(target=read_stdin, daemon=True).start()
    write({"op": "ready", "series": len(pushers.series), "bytes": len(pushers.template.bytes)})
    reports: list[asyncio.Task[None]] = []

    async def report_later(command: dict[str, Any]) -> None:
        low, high = command["window"]
        # a push scheduled just before the window's end has one interval to complete
        await asyncio.sleep(max(0.0, high + args.interval + 0.1 - time.time()))
        write(pushers.report(command["id"], (low, high)))

    while (command := await commands.get()) is not None and command["op"] != "stop":
        pushers.ensure(command["generators"], command["start"], command.get("stagger", 0.0))
        reports.append(loop.create_task(report_later(command)))
    for task in reports:
        task.cancel()
    write(await pushers.stop())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--names", type=int, default=5)
    parser.add_argument("--interval", type=float, default=1.0)
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--process", type=int, default=0)
    parser.add_argument("--processes", type=int, default=1)
    asyncio.run(serve(parser.parse_args(argv)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
