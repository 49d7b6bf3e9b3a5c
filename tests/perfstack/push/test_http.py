"""What the pusher sends over HTTP (headers, auth, TLS) and how it treats the answers.

A small capturing HTTP server stands in for the endpoint here: a real Prometheus cannot be
made to demand auth, present a private CA's certificate, or answer 400/503 on demand.
"""

from __future__ import annotations

import base64
import logging
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Counter

from perfstack.core.errors import PerfstackError
from perfstack.push.config import PushConfig
from perfstack.push.http import Outcome, classify
from perfstack.push.pusher import RemoteWritePusher
from tests.helpers import self_signed_certificate, wait_until
from tests.loadgen.remote_write_decoder import decode_body


class _Endpoint:
    def __init__(self, answers: list[tuple[int, bytes]], tls: ssl.SSLContext | None = None):
        self.answers = answers  # the last answer repeats
        self.requests: list[tuple[dict[str, str], bytes]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.requests.append((dict(self.headers.items()), body))
                index = min(len(endpoint.requests), len(endpoint.answers)) - 1
                status, text = endpoint.answers[index]
                self.send_response(status)
                self.send_header("Content-Length", str(len(text)))
                self.end_headers()
                self.wfile.write(text)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}/api/v1/write"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint_factory() -> Iterator[type[_Endpoint]]:
    started: list[_Endpoint] = []

    class Factory(_Endpoint):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            started.append(self)

    yield Factory
    for endpoint in started:
        endpoint.close()


def _registry() -> CollectorRegistry:
    registry = CollectorRegistry()
    Counter("hdr_probe_events", "e", ["b", "a"], registry=registry).labels("2", "1").inc(5)
    return registry


def _labels(**extra: str) -> dict[str, str]:
    return {"testid": "t1", "scenario": "s", "generator": "locust", "instance": "h:1", **extra}


def test_basic_auth_extra_headers_and_remote_write_headers_are_sent(
    endpoint_factory: type[_Endpoint],
) -> None:
    endpoint = endpoint_factory([(204, b"")])
    config = PushConfig(
        url=endpoint.url,
        labels=_labels(),
        basic_auth=("alice", "s3cret"),
        headers={"X-Scope-OrgID": "tenant-1"},
        self_metrics=False,
    )
    assert RemoteWritePusher(_registry(), config).flush(timeout=5)
    headers, body = endpoint.requests[0]
    assert headers["Authorization"] == "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert headers["X-Scope-OrgID"] == "tenant-1"
    assert headers["Content-Encoding"] == "snappy"
    assert headers["Content-Type"] == "application/x-protobuf"
    assert headers["X-Prometheus-Remote-Write-Version"] == "0.1.0"
    (series,) = decode_body(body)
    assert series.labels == sorted(
        {"__name__": "hdr_probe_events_total", "a": "1", "b": "2", **_labels()}.items()
    )
    assert series.values() == [5.0]


def test_bearer_token_is_sent(endpoint_factory: type[_Endpoint]) -> None:
    endpoint = endpoint_factory([(200, b"")])
    config = PushConfig(url=endpoint.url, labels=_labels(), bearer_token="tok-123")
    assert RemoteWritePusher(_registry(), config).flush(timeout=5)
    assert endpoint.requests[0][0]["Authorization"] == "Bearer tok-123"


def test_ca_file_makes_a_private_certificate_trusted(
    endpoint_factory: type[_Endpoint], tmp_path: Path
) -> None:
    cert, key = self_signed_certificate(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    endpoint = endpoint_factory([(204, b"")], tls=tls)

    untrusted = RemoteWritePusher(_registry(), PushConfig(url=endpoint.url, labels=_labels()))
    assert not untrusted.flush(timeout=1)
    assert "certificate" in (untrusted.stats.last_error or "").lower()
    assert untrusted.stats.pushes_failed >= 1 and untrusted.stats.pending_batches == 1

    config = PushConfig(url=endpoint.url, labels=_labels(), ca_file=str(cert))
    assert RemoteWritePusher(_registry(), config).flush(timeout=5)
    assert len(endpoint.requests) == 1


def test_client_certificate_for_mutual_tls(
    endpoint_factory: type[_Endpoint], tmp_path: Path
) -> None:
    server_cert, server_key = self_signed_certificate(tmp_path / "server")
    client_cert, client_key = self_signed_certificate(tmp_path / "client")
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(server_cert, server_key)
    tls.verify_mode = ssl.CERT_REQUIRED
    tls.load_verify_locations(client_cert)
    endpoint = endpoint_factory([(204, b"")], tls=tls)
    base = {"url": endpoint.url, "labels": _labels(), "ca_file": str(server_cert)}

    anonymous = RemoteWritePusher(_registry(), PushConfig(**base))  # type: ignore[arg-type]
    assert not anonymous.flush(timeout=1) and anonymous.stats.pushes_failed >= 1
    config = PushConfig(**base, client_cert=(str(client_cert), str(client_key)))  # type: ignore[arg-type]
    assert RemoteWritePusher(_registry(), config).flush(timeout=5)
    assert len(endpoint.requests) == 1


def test_unreadable_tls_files_fail_at_construction(tmp_path: Path) -> None:
    not_pem = tmp_path / "ca.pem"
    not_pem.write_text("not a certificate")
    for kwargs in ({"ca_file": str(tmp_path / "missing.pem")}, {"ca_file": str(not_pem)}):
        config = PushConfig(url="https://127.0.0.1:1/w", **kwargs)  # type: ignore[arg-type]
        with pytest.raises(PerfstackError, match="push TLS files"):
            RemoteWritePusher(_registry(), config)


def test_400_drops_the_batch_as_rejected_and_logs_once(
    endpoint_factory: type[_Endpoint], caplog: pytest.LogCaptureFixture
) -> None:
    endpoint = endpoint_factory([(400, b"invalid label name")])
    pusher = RemoteWritePusher(_registry(), PushConfig(url=endpoint.url, labels=_labels()))
    with caplog.at_level(logging.WARNING, logger="perfstack.push.pusher"):
        assert not pusher.flush(timeout=5)
        assert not pusher.flush(timeout=5)
    stats = pusher.stats
    per_snapshot = 1 + 4 + 2
    assert stats.samples_dropped["rejected"] == 2 * per_snapshot
    assert stats.pending_batches == 0 and stats.samples_sent == 0
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 1 and "rejected" in lines[0] and "invalid label name" in lines[0]


def test_503_and_429_are_retried_until_accepted(endpoint_factory: type[_Endpoint]) -> None:
    endpoint = endpoint_factory([(503, b"busy"), (429, b"slow down"), (204, b"")])
    config = PushConfig(url=endpoint.url, labels=_labels(), max_backoff=0.1)
    pusher = RemoteWritePusher(_registry(), config).start()
    try:
        assert pusher.flush(timeout=10)
        stats = pusher.stats
        assert stats.pushes_failed == 2 and stats.dropped_total == 0
        accepted = endpoint.requests[2:]
        assert stats.samples_sent == sum(len(decode_body(body)) for _, body in accepted)
    finally:
        pusher.stop(stale=False, timeout=2)


def test_flush_retries_at_once_instead_of_waiting_out_a_backoff(
    endpoint_factory: type[_Endpoint],
) -> None:
    endpoint = endpoint_factory([(503, b"restarting"), (204, b"")])
    config = PushConfig(
        url=endpoint.url, labels=_labels(), interval=60, min_backoff=60, max_backoff=60
    )
    pusher = RemoteWritePusher(_registry(), config).start()
    try:
        wait_until(lambda: pusher.stats.pushes_failed == 1, timeout=5)  # now backing off 60 s
        assert pusher.flush(timeout=5)
        assert pusher.stats.pending_batches == 0 and len(endpoint.requests) >= 2
    finally:
        pusher.stop(stale=False, timeout=2)


@pytest.mark.parametrize(
    ("status", "body", "outcome"),
    [
        (204, "", Outcome.SENT),
        (500, "boom", Outcome.RETRY),
        (503, "", Outcome.RETRY),
        (429, "", Outcome.RETRY),
        (400, "out of order sample", Outcome.OUT_OF_ORDER),
        (400, "duplicate sample for timestamp", Outcome.OUT_OF_ORDER),
        (400, "out of bounds", Outcome.OUT_OF_ORDER),
        # Prometheus 2.42's answer to a sample older than its out-of-order window
        (500, "too old sample", Outcome.OUT_OF_ORDER),
        (400, "label name invalid", Outcome.REJECTED),
        (401, "unauthorized", Outcome.REJECTED),
        (413, "too large", Outcome.REJECTED),
        (403, "forbidden", Outcome.REJECTED),
        # Prometheus without --web.enable-remote-write-receiver
        (404, "remote write receiver needs to be enabled", Outcome.REJECTED),
        # a web page or a login page answering 200 is not a receiver
        (200, "<!doctype html><html><title>Sign in</title></html>", Outcome.REJECTED),
        (200, "ok", Outcome.SENT),
    ],
)
def test_classify(status: int, body: str, outcome: Outcome) -> None:
    assert classify(status, body).outcome is outcome


def test_a_2xx_is_unexpected_only_with_a_body() -> None:
    assert not classify(204, "").unexpected and not classify(200, " \n").unexpected
    assert classify(200, "ok\n").unexpected
    assert classify(200, "ok\n").detail == "HTTP 200: ok"
    assert classify(200, "<html><title>Sign in</title></html>").detail == (
        "HTTP 200: an HTML page ('Sign in'), not a remote-write answer: check the URL"
    )
    assert classify(404, "remote write receiver needs to be enabled with x").detail.endswith(
        "(start Prometheus with --web.enable-remote-write-receiver)"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"url": "127.0.0.1:9090/api/v1/write"}, r"expected http\(s\)://"),
        ({"url": "http://h/w", "interval": 0}, "interval must be a positive"),
        ({"url": "http://h/w", "interval": 2, "buffer_seconds": 1}, "buffer_seconds"),
        ({"url": "http://h/w", "basic_auth": ("a", "b"), "bearer_token": "t"}, "not both"),
        ({"url": "http://h/w", "labels": {"test-id": "x"}}, "push label 'test-id'"),
        ({"url": "http://h/w", "labels": {"__name__": "x"}}, "push label '__name__'"),
    ],
)
def test_bad_config_is_a_one_line_error(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(PerfstackError, match=message):
        PushConfig(**kwargs)  # type: ignore[arg-type]
