"""A minimal protobuf reader for WriteRequest, written from the .proto, for tests only.

It shares no code with perfstack.push.remote_write, so a round trip through both checks the
encoder against an independent reading of the wire format.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cramjam


@dataclass
class DecodedSeries:
    labels: list[tuple[str, str]]
    samples: list[tuple[int, int]]  # (raw 64-bit value bits, timestamp ms)

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    def values(self) -> list[float]:
        return [struct.unpack("<d", struct.pack("<Q", bits))[0] for bits, _ in self.samples]


def _read_varint(buf: bytes, pos: int) -> tuple[int, int]:
    shift = result = 0
    while True:
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int, object]]:
    pos, out = 0, []
    while pos < len(buf):
        key, pos = _read_varint(buf, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _read_varint(buf, pos)
            out.append((number, wire, value))
        elif wire == 1:
            out.append((number, wire, struct.unpack("<Q", buf[pos : pos + 8])[0]))
            pos += 8
        elif wire == 2:
            length, pos = _read_varint(buf, pos)
            out.append((number, wire, buf[pos : pos + length]))
            pos += length
        else:
            raise ValueError(f"unexpected wire type {wire}")
    return out


def decode_write_request(payload: bytes) -> list[DecodedSeries]:
    series = []
    for number, _, body in _fields(payload):
        assert number == 1 and isinstance(body, bytes)
        labels, samples = [], []
        for field, _, inner in _fields(body):
            assert isinstance(inner, bytes)
            parts = {n: v for n, _, v in _fields(inner)}
            if field == 1:
                name, value = parts.get(1, b""), parts.get(2, b"")
                assert isinstance(name, bytes) and isinstance(value, bytes)
                labels.append((name.decode(), value.decode()))
            elif field == 2:
                samples.append((int(parts.get(1, 0)), int(parts.get(2, 0))))  # type: ignore[call-overload]
        series.append(DecodedSeries(labels, samples))
    return series


def decode_body(body: bytes) -> list[DecodedSeries]:
    return decode_write_request(bytes(cramjam.snappy.decompress_raw(body)))
