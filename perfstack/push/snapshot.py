"""Turns `registry.collect()` into one encoded remote-write snapshot per interval.

Every sample of a snapshot gets the same timestamp (the collection time), strictly later
than the previous snapshot's so Prometheus never sees an out-of-order sample from us.
`_created` samples are skipped (they are timestamps, not data). A series that was in the
previous snapshot but is gone now gets a stale marker, so removed label children stop
showing in instant queries at once instead of lingering for the 5-minute lookback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from perfstack.metrics.families import SeriesLabels
from perfstack.push.remote_write import (
    STALE_NAN_BYTES,
    SnapshotEncoder,
    compress,
    encode_labels,
    pack_double,
    sorted_labels,
)


class Collectable(Protocol):
    def collect(self) -> Any: ...


@dataclass(frozen=True)
class Batch:
    """One compressed WriteRequest ready to POST."""

    seq: int
    timestamp_ms: int
    samples: int
    body: bytes
    stale: bool = False


class Snapshotter:
    def __init__(
        self,
        registry: Collectable,
        static_labels: Mapping[str, str],
        extra_sources: tuple[Collectable, ...] = (),
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._sources = (registry, *extra_sources)
        self._static = dict(static_labels)
        self._clock = clock
        self._label_bytes: dict[Hashable, bytes] = {}
        self._headers: dict[Hashable, bytes] = {}
        self._headers_sample_len = b""
        self._previous: set[Hashable] = set()
        self._last_ts = 0
        self._seq = 0

    @property
    def series_known(self) -> int:
        return len(self._label_bytes)

    def _next_timestamp(self) -> int:
        ts = max(int(self._clock() * 1000), self._last_ts + 1)
        self._last_ts = ts
        return ts

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _new_header(
        self, key: Hashable, name: str, labels: Mapping[str, str], encoder: SnapshotEncoder
    ) -> bytes:
        label_bytes = self._label_bytes.get(key)
        if label_bytes is None:
            # The series' own labels win over static ones of the same name.
            merged = {**self._static, **labels, "__name__": name}
            label_bytes = self._label_bytes[key] = encode_labels(sorted_labels(merged))
        header = self._headers[key] = encoder.header(label_bytes)
        return header

    def take(self) -> Batch:
        encoder = SnapshotEncoder(self._next_timestamp())
        if encoder.sample_len != self._headers_sample_len:  # timestamp varint grew
            self._headers, self._headers_sample_len = {}, encoder.sample_len
        headers, parts, tail = self._headers, encoder.parts, encoder.ts_tail
        current: set[Hashable] = set()
        for source in self._sources:
            for family in source.collect():
                created = family.name + "_created"
                for sample in family.samples:
                    if sample.name == created:
                        continue
                    labels = sample.labels
                    key = (
                        labels.key
                        if type(labels) is SeriesLabels
                        else (sample.name, tuple(labels.items()))
                    )
                    if key in current:
                        continue  # a duplicate would be rejected as out-of-order
                    current.add(key)
                    header = headers.get(key) or self._new_header(
                        key, sample.name, sample.labels, encoder
                    )
                    parts += (header, pack_double(float(sample.value)), tail)
        encoder.count = len(current)
        for gone in self._previous - current:
            encoder.add(self._label_bytes[gone], STALE_NAN_BYTES)
        self._previous = current
        return Batch(
            self._next_seq(), encoder.timestamp_ms, encoder.count, compress(encoder.payload())
        )

    def stale_markers(self) -> Batch:
        """Stale markers for every series ever snapshotted, after the last snapshot."""
        encoder = SnapshotEncoder(self._next_timestamp())
        for label_bytes in self._label_bytes.values():
            encoder.add(label_bytes, STALE_NAN_BYTES)
        self._previous = set()
        return Batch(
            self._next_seq(), encoder.timestamp_ms, encoder.count, compress(encoder.payload()), True
        )
