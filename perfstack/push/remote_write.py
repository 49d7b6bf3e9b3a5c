"""Prometheus remote-write 1.0 payloads, encoded by hand.

The wire format is a protobuf `WriteRequest` (only the fields below are used), compressed
with snappy's *block* format (not the framed/stream format):

    WriteRequest { repeated TimeSeries timeseries = 1; }
    TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
    Label        { string name = 1; string value = 2; }
    Sample       { double value = 1; int64 timestamp = 2; }   // timestamp in ms

Labels are sorted by name and include `__name__`. Label bytes are computed once per series
and cached by the caller, so a snapshot costs one small concatenation per series.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Sequence

import cramjam

CONTENT_HEADERS = {
    "Content-Encoding": "snappy",
    "Content-Type": "application/x-protobuf",
    "X-Prometheus-Remote-Write-Version": "0.1.0",
    "User-Agent": "perfstack-loadgen",
}

# Prometheus' staleness marker: a NaN with this exact bit pattern. Written as raw bytes so no
# float conversion can quieten or canonicalise the NaN payload.
STALE_NAN_BITS = 0x7FF0000000000002
STALE_NAN_BYTES = struct.pack("<Q", STALE_NAN_BITS)

_DOUBLE = struct.Struct("<d")
pack_double = _DOUBLE.pack
_TAG_TIMESERIES = b"\x0a"  # field 1, length-delimited
_TAG_LABEL = b"\x0a"  # TimeSeries.labels: field 1, length-delimited
_TAG_SAMPLE = b"\x12"  # TimeSeries.samples: field 2, length-delimited
_TAG_NAME = b"\x0a"
_TAG_VALUE = b"\x12"
_TAG_SAMPLE_VALUE = b"\x09"  # field 1, fixed64
_TAG_SAMPLE_TIMESTAMP = b"\x10"  # field 2, varint


def varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int64 negatives are 10-byte two's complement varints
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _length_delimited(tag: bytes, body: bytes) -> bytes:
    return tag + varint(len(body)) + body


def encode_labels(labels: Sequence[tuple[str, str]]) -> bytes:
    """The TimeSeries' label fields for labels already sorted by name (with `__name__`)."""
    parts = []
    for name, value in labels:
        # backslashreplace: a lone surrogate (undecodable bytes from a file name or argv)
        # is sent as text instead of raising on every snapshot
        body = _length_delimited(
            _TAG_NAME, name.encode("utf-8", "backslashreplace")
        ) + _length_delimited(_TAG_VALUE, value.encode("utf-8", "backslashreplace"))
        parts.append(_length_delimited(_TAG_LABEL, body))
    return b"".join(parts)


def sorted_labels(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def encode_sample(value: float | bytes, timestamp_ms: int) -> bytes:
    """One Sample message body wrapped as TimeSeries field 2; `value` may be raw 8 bytes."""
    raw = value if isinstance(value, bytes) else _DOUBLE.pack(value)
    body = _TAG_SAMPLE_VALUE + raw + _TAG_SAMPLE_TIMESTAMP + varint(timestamp_ms)
    return _length_delimited(_TAG_SAMPLE, body)


class SnapshotEncoder:
    """Encodes many series sharing one timestamp.

    A series costs one cached `header` (TimeSeries tag, length, labels, Sample tag, length,
    value tag: all fixed for a series while the timestamp's varint length is unchanged),
    its 8 value bytes and the shared timestamp tail.
    """

    def __init__(self, timestamp_ms: int) -> None:
        self.timestamp_ms = timestamp_ms
        self.ts_tail = _TAG_SAMPLE_TIMESTAMP + varint(timestamp_ms)
        self.sample_len = varint(1 + 8 + len(self.ts_tail))
        self.parts: list[bytes] = []
        self.count = 0

    def header(self, label_bytes: bytes) -> bytes:
        body_len = len(label_bytes) + 1 + len(self.sample_len) + 1 + 8 + len(self.ts_tail)
        return (
            _TAG_TIMESERIES
            + varint(body_len)
            + label_bytes
            + _TAG_SAMPLE
            + self.sample_len
            + _TAG_SAMPLE_VALUE
        )

    def add(self, label_bytes: bytes, value: float | bytes) -> None:
        raw = value if isinstance(value, bytes) else _DOUBLE.pack(value)
        self.parts += (self.header(label_bytes), raw, self.ts_tail)
        self.count += 1

    def payload(self) -> bytes:
        """The WriteRequest, protobuf-encoded but not compressed."""
        return b"".join(self.parts)


def encode_write_request(
    series: Iterable[tuple[Sequence[tuple[str, str]], Sequence[tuple[float | bytes, int]]]],
) -> bytes:
    """General form: each series with its sorted labels and its (value, timestamp_ms) samples."""
    parts = []
    for labels, samples in series:
        body = encode_labels(labels) + b"".join(encode_sample(v, ts) for v, ts in samples)
        parts.append(_length_delimited(_TAG_TIMESERIES, body))
    return b"".join(parts)


def compress(payload: bytes) -> bytes:
    return bytes(cramjam.snappy.compress_raw(payload))
