from __future__ import annotations

import math
import struct
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from perfstack.push.remote_write import (
    CONTENT_HEADERS,
    STALE_NAN_BITS,
    STALE_NAN_BYTES,
    SnapshotEncoder,
    compress,
    encode_labels,
    encode_write_request,
    sorted_labels,
    varint,
)
from perfstack.testing import PrometheusProcess, prom_query
from tests.helpers import prom_query_range
from tests.loadgen.remote_write_decoder import decode_body, decode_write_request


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrometheusProcess]:
    process = PrometheusProcess(Path(tmp_path_factory.mktemp("prom-rw"))).start()
    yield process
    process.stop()


def _bits(value: float) -> int:
    return int(struct.unpack("<Q", struct.pack("<d", value))[0])


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, b"\x00"), (1, b"\x01"), (127, b"\x7f"), (128, b"\x80\x01"), (300, b"\xac\x02")],
)
def test_varint_matches_protobuf_examples(value: int, expected: bytes) -> None:
    assert varint(value) == expected


def test_negative_int64_is_a_ten_byte_varint() -> None:
    assert varint(-1) == b"\xff" * 9 + b"\x01"


def test_general_encoder_round_trips_through_an_independent_decoder() -> None:
    labels = sorted_labels({"__name__": "m_total", "zeta": "z", "alpha": "ä-unicode", "b": ""})
    payload = encode_write_request(
        [
            (labels, [(1.5, 1_700_000_000_000), (STALE_NAN_BYTES, 1_700_000_000_001)]),
            ((("__name__", "g"),), [(-2.25, 5)]),
        ]
    )
    first, second = decode_write_request(payload)
    assert first.labels == [
        ("__name__", "m_total"),
        ("alpha", "ä-unicode"),
        ("b", ""),
        ("zeta", "z"),
    ]
    assert first.samples == [(_bits(1.5), 1_700_000_000_000), (STALE_NAN_BITS, 1_700_000_000_001)]
    assert second.labels == [("__name__", "g")] and second.values() == [-2.25]


def test_a_label_value_that_is_not_valid_unicode_is_sent_escaped() -> None:
    # a lone surrogate, as os.fsdecode or surrogateescape gives for undecodable bytes;
    # Prometheus only takes UTF-8, and raising here would stop every later snapshot
    payload = encode_write_request(
        [(sorted_labels({"__name__": "m", "name": "/caf\udce9"}), [(1.0, 5)])]
    )
    (series,) = decode_write_request(payload)
    assert series.labels == [("__name__", "m"), ("name", "/caf\\udce9")]


def test_snapshot_encoder_equals_general_encoder_and_compresses_as_snappy_block() -> None:
    labels = sorted_labels({"__name__": "x", "testid": "t"})
    encoder = SnapshotEncoder(1_700_000_000_123)
    encoder.add(encode_labels(labels), 42.0)
    encoder.add(encode_labels(labels), STALE_NAN_BYTES)
    general = encode_write_request(
        [(labels, [(42.0, 1_700_000_000_123)]), (labels, [(STALE_NAN_BYTES, 1_700_000_000_123)])]
    )
    assert encoder.payload() == general
    decoded = decode_body(compress(encoder.payload()))
    assert [s.samples for s in decoded] == [
        [(_bits(42.0), 1_700_000_000_123)],
        [(STALE_NAN_BITS, 1_700_000_000_123)],
    ]
    assert math.isnan(decoded[1].values()[0])


def test_prometheus_accepts_the_payload_and_stale_marker_ends_the_series(
    prometheus: PrometheusProcess,
) -> None:
    testid = uuid.uuid4().hex
    labels = sorted_labels({"__name__": "rw_probe", "testid": testid, "k": "v"})
    now_ms = int(time.time() * 1000)
    samples: list[tuple[float | bytes, int]] = [(1.0, now_ms - 3000), (2.0, now_ms - 2000)]
    body = compress(encode_write_request([(labels, samples)]))
    response = httpx.post(prometheus.remote_write_url, content=body, headers=CONTENT_HEADERS)
    assert response.status_code == 204, response.text

    result = prom_query(prometheus.url, f'rw_probe{{testid="{testid}"}}', time=now_ms / 1000)
    assert [(r["metric"]["k"], r["value"][1]) for r in result] == [("v", "2")]

    stale = compress(encode_write_request([(labels, [(STALE_NAN_BYTES, now_ms - 1000)])]))
    response = httpx.post(prometheus.remote_write_url, content=stale, headers=CONTENT_HEADERS)
    assert response.is_success
    assert prom_query(prometheus.url, f'rw_probe{{testid="{testid}"}}', time=now_ms / 1000) == []
    # the data before the marker is still there for range queries
    ranged = prom_query_range(
        prometheus.url, f'rw_probe{{testid="{testid}"}}', now_ms / 1000 - 3, now_ms / 1000 - 2
    )
    assert [v for _, v in ranged[0]["values"]] == ["1", "2"]
