from __future__ import annotations

import argparse
import asyncio
import math
import sys
from pathlib import Path

import cramjam
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from store_scale_pushers import (
    Connection,
    Generator,
    PayloadTemplate,
    Push,
    Pushers,
    series_set,
)

from perfstack.metrics.schema import LATENCY_BUCKETS
from perfstack.push.remote_write import encode_write_request


def test_each_request_name_adds_its_histogram_and_counters() -> None:
    one, three = series_set(1), series_set(3)
    per_name = len(LATENCY_BUCKETS) + 1 + 4  # buckets and +Inf; _sum, _count, requests, failures
    assert len(three) - len(one) == 2 * per_name
    assert len(one) > per_name  # the run, users and generator health series come along


def test_every_series_is_distinct_and_carries_the_pushers_labels() -> None:
    series = series_set(2)
    keys = {tuple(sorted(labels.items())) for labels in series.labels}
    assert len(keys) == len(series)
    for labels in series.labels:
        assert {"testid", "scenario", "generator", "instance", "__name__"} <= labels.keys()
    buckets = [
        step
        for labels, step in zip(series.labels, series.step, strict=True)
        if labels["__name__"].endswith("_bucket") and labels["name"] == "/api/v1/items/000"
    ]
    assert buckets == sorted(buckets)  # cumulative: a bucket never grows less than the one below
    assert buckets[-1] > 0


def test_a_filled_template_is_exactly_what_the_general_encoder_writes() -> None:
    series = series_set(2)
    template = PayloadTemplate(series)
    values = np.arange(len(series), dtype=float) * 1.5 + 0.25
    stamp = 1_765_000_000_123
    body = template.fill(template.instance(42), values, stamp)
    expected = encode_write_request(
        (sorted({**labels, "instance": "scale-000042"}.items()), [(float(value), stamp)])
        for labels, value in zip(series.labels, values, strict=True)
    )
    assert bytes(cramjam.snappy.decompress_raw(body)) == expected
    # the template itself is left as it was: the next generator's push starts clean
    other = template.fill(template.instance(7), values + 1, stamp + 1000)
    assert b"scale-000007" in bytes(cramjam.snappy.decompress_raw(other))
    assert b"scale-000042" not in bytes(cramjam.snappy.decompress_raw(other))


def test_an_instance_too_wide_for_its_hole_is_refused() -> None:
    template = PayloadTemplate(series_set(1))
    with pytest.raises(ValueError, match="more than 6 digits"):
        template.instance(1_000_000)


def pushers(interval: float = 1.0) -> Pushers:
    args = argparse.Namespace(
        url="http://127.0.0.1:9/api/v1/write", names=1, interval=interval, timeout=1.0,
        process=0, processes=1,
    )  # fmt: skip
    return Pushers(args)


def test_a_report_counts_the_pushes_due_in_its_window_and_those_still_pending() -> None:
    owner = pushers()
    generator = Generator(0, first=100.25, values=np.zeros(1), rate=1.0)
    for k in range(5):  # pushes at 100.25 .. 104.25 done, each in 10 ms; 105.25 never answered
        at = 100.25 + k
        generator.pushes.append(Push(at, at, at + 0.01, 10, None))
    generator.next_scheduled = 105.25
    failing = Generator(1, first=100.5, values=np.zeros(1), rate=1.0)
    for k in range(8):  # 100.5 .. 107.5: all answered, the one at 103.5 with an error
        at = 100.5 + k
        failing.pushes.append(Push(at, at, at + 0.02, 10, "HTTP 503: busy" if k == 3 else None))
    failing.next_scheduled = 108.5
    owner.generators = {0: generator, 1: failing}
    report = owner.report(1, (102.0, 107.0))
    assert report["pushes"] == 3 + 5  # 102.25..104.25 and 102.5..106.5
    assert report["pending"] == 2  # 105.25 and 106.25 were due before 107
    assert report["errors"] == {"HTTP 503: busy": 1}
    assert report["acked_samples"] == 10 * (3 + 4)  # answered 2xx, ended inside the window
    assert sorted(report["durations"]) == pytest.approx([0.01] * 3 + [0.02] * 5)
    # what is scheduled after the window waits for the next report; the rest is dropped
    assert [push.scheduled for push in failing.pushes] == [107.5]
    assert generator.pushes == []


def test_a_push_that_waited_behind_the_one_before_counts_its_wait_not_as_loop_lag() -> None:
    owner = pushers()
    generator = Generator(0, first=10.0, values=np.zeros(1), rate=1.0)
    generator.pushes = [
        Push(10.0, 10.001, 12.5, 1, None),  # took 2.5 s
        Push(11.0, 12.5, 12.6, 1, None),  # could only start when that one ended
        Push(12.0, 12.6, 12.7, 1, None),
        Push(13.0, 13.002, 13.01, 1, None),  # back on schedule
    ]
    generator.next_scheduled = 14.0
    owner.generators = {0: generator}
    report = owner.report(0, (10.0, 14.0))
    assert report["completions"] == pytest.approx([2.5, 1.6, 0.7, 0.01])
    assert report["loop_lags"] == pytest.approx([0.001, 0.002])
    assert report["pending"] == 0


def test_the_client_reads_a_chunked_answer_and_keeps_its_connection() -> None:
    # no store answers chunked on demand: a stand-in server that does, twice on one connection
    async def scenario() -> tuple[list[tuple[int, str]], int]:
        connections = 0

        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal connections
            connections += 1
            for _ in range(2):
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                await reader.readexactly(length)
                writer.write(
                    b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n"
                    b"5\r\nout o\r\n7\r\nf order\r\n0\r\n\r\n"
                )
                await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client = Connection("127.0.0.1", port, "/api/v1/write", timeout=5)
        answers = [await client.post(b"x" * 10), await client.post(b"y" * 20)]
        client.close()
        server.close()
        await server.wait_closed()
        return answers, connections

    answers, connections = asyncio.run(scenario())
    assert answers == [(400, "out of order"), (400, "out of order")]
    assert connections == 1


def test_new_generators_start_over_the_stagger_in_whole_intervals_at_their_own_phases() -> None:
    async def scenario() -> dict[int, float]:
        owner = pushers()
        owner.ensure(2, start=2_000_000_000.0)  # far ahead: nothing is pushed
        owner.ensure(10, start=2_000_000_100.0, stagger=4.0)
        firsts = {index: g.first for index, g in owner.generators.items()}
        await owner.stop()  # waiting generators are stopped at once
        return firsts

    firsts = asyncio.run(scenario())
    assert firsts[0] - 2_000_000_000.0 < 1 and firsts[1] - 2_000_000_000.0 < 1
    delays = [firsts[index] - 2_000_000_100.0 for index in range(2, 10)]
    assert [math.floor(delay) for delay in delays] == [0, 0, 1, 1, 2, 2, 3, 3]
    phases = sorted(firsts[index] % 1.0 for index in range(10))
    assert len({round(phase, 6) for phase in phases}) == 10  # no two push at once
