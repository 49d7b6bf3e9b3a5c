"""error_type from real client exceptions: requests (HttpUser) and geventhttpclient
(FastHttpUser) against local sockets that refuse, reset, stay silent or speak no TLS."""

from __future__ import annotations

import socket
import struct
import threading
from collections.abc import Callable, Iterator

import pytest
import requests

from loadgen.locust.classify import ERROR_TYPES, classify
from perfstack.testing import free_port


def raised_by(call: Callable[[], object]) -> BaseException:
    with pytest.raises(Exception) as caught:
        call()
    return caught.value


@pytest.fixture
def server() -> Iterator[tuple[socket.socket, int]]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    yield listener, listener.getsockname()[1]
    listener.close()


def serve_once(listener: socket.socket, action: str) -> None:
    def handle() -> None:
        connection, _ = listener.accept()
        if action == "reset":  # SO_LINGER 0: close() sends RST
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        else:
            connection.recv(1024)
            connection.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
        connection.close()

    threading.Thread(target=handle, daemon=True).start()


def test_requests_connection_refused():
    error = raised_by(lambda: requests.get(f"http://127.0.0.1:{free_port()}/", timeout=2))
    assert classify(error, None) == "connection_refused"


def test_requests_read_timeout(server):
    _, port = server  # listening, never accepting: the connect succeeds, no answer comes
    error = raised_by(lambda: requests.get(f"http://127.0.0.1:{port}/", timeout=0.2))
    assert classify(error, None) == "timeout"


def test_requests_connection_reset(server):
    listener, port = server
    serve_once(listener, "reset")
    error = raised_by(lambda: requests.get(f"http://127.0.0.1:{port}/", timeout=2))
    assert classify(error, None) == "connection_reset"


def test_requests_tls_to_a_plain_http_server(server):
    listener, port = server
    serve_once(listener, "plain")
    error = raised_by(lambda: requests.get(f"https://127.0.0.1:{port}/", timeout=2))
    assert classify(error, None) == "tls"


def test_geventhttpclient_refused_and_timeout(server):
    from geventhttpclient import HTTPClient

    refused = HTTPClient("127.0.0.1", free_port(), connection_timeout=1)
    assert classify(raised_by(lambda: refused.get("/")), None) == "connection_refused"
    _, port = server
    silent = HTTPClient("127.0.0.1", port, network_timeout=0.2, connection_timeout=1)
    assert classify(raised_by(lambda: silent.get("/")), None) == "timeout"


def test_dns_failure_wrapped_by_requests():
    wrapped = requests.exceptions.ConnectionError(socket.gaierror(-2, "Name or service not known"))
    assert classify(wrapped, None) == "dns"


@pytest.mark.parametrize(
    ("status", "expected"), [(503, "http_5xx"), (500, "http_5xx"), (404, "http_4xx")]
)
def test_status_class_wins_when_a_response_arrived(status, expected):
    assert classify(requests.exceptions.HTTPError("x"), status) == expected


def test_unknown_failures_are_other():
    assert classify(RuntimeError("assertion in a task"), 200) == "other"
    assert classify(None, None) == "other"
    assert set(ERROR_TYPES) >= {"connection_refused", "timeout", "tls", "dns", "other"}


def test_a_request_in_flight_at_stop_has_its_own_type():
    from loadgen.locust.in_flight import RequestInFlightAtStop

    assert classify(RequestInFlightAtStop(), None) == "in_flight_at_stop"
    assert "in_flight_at_stop" in ERROR_TYPES
    # its text names no cause that the text rules would read as another type
    assert classify(RuntimeError(str(RequestInFlightAtStop())), None) == "other"
