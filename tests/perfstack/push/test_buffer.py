from __future__ import annotations

import threading

from perfstack.push.buffer import BatchBuffer
from perfstack.push.snapshot import Batch


def _batch(seq: int) -> Batch:
    return Batch(seq=seq, timestamp_ms=seq * 1000, samples=10, body=b"x")


def test_full_buffer_drops_the_oldest_and_keeps_order() -> None:
    buffer = BatchBuffer(3)
    dropped = [b.seq for seq in range(1, 7) for b in buffer.put(_batch(seq))]
    assert dropped == [1, 2, 3]
    assert [b.seq for b in buffer.drain()] == [4, 5, 6]
    assert buffer.pending_batches == 0


def test_wait_done_tracks_batches_leaving_in_order() -> None:
    buffer = BatchBuffer(10)
    for seq in (1, 2, 3):
        buffer.put(_batch(seq))
    assert buffer.pending_samples == 30
    assert not buffer.wait_done(1, timeout=0)
    head = buffer.head(timeout=0)
    assert head is not None and head.seq == 1
    buffer.remove(head)
    assert buffer.wait_done(1, timeout=0) and not buffer.wait_done(2, timeout=0)
    releaser = threading.Timer(0.05, lambda: [buffer.remove(b) for b in buffer.drain()])
    releaser.start()
    assert buffer.wait_done(3, timeout=5)


def test_head_waits_for_a_batch() -> None:
    buffer = BatchBuffer(2)
    assert buffer.head(timeout=0.01) is None
    threading.Timer(0.05, buffer.put, args=(_batch(1),)).start()
    head = buffer.head(timeout=5)
    assert head is not None and head.seq == 1


def test_the_batch_in_flight_is_never_dropped() -> None:
    """It may still land: dropping it would count its samples as both sent and dropped."""
    buffer = BatchBuffer(3)
    for seq in (1, 2, 3):
        buffer.put(_batch(seq))
    in_flight = buffer.head(timeout=0)
    assert in_flight is not None and in_flight.seq == 1
    dropped = [b.seq for seq in (4, 5) for b in buffer.put(_batch(seq))]
    assert dropped == [2, 3]
    buffer.remove(in_flight)
    assert [b.seq for b in buffer.drain()] == [4, 5]


def test_a_released_batch_can_be_dropped_again() -> None:
    buffer = BatchBuffer(2)
    for seq in (1, 2):
        buffer.put(_batch(seq))
    failed = buffer.head(timeout=0)
    assert failed is not None
    buffer.release(failed)
    assert [b.seq for b in buffer.put(_batch(3))] == [1]


def test_a_lone_batch_in_flight_is_kept_beyond_the_bound() -> None:
    buffer = BatchBuffer(1)
    buffer.put(_batch(1))
    in_flight = buffer.head(timeout=0)
    assert buffer.put(_batch(2)) == []
    assert in_flight is not None
    buffer.remove(in_flight)
    assert [b.seq for b in buffer.drain()] == [2]
