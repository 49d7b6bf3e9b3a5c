"""Error types from real failures where a real server can produce them on demand."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
from websockets.frames import Close

from loadgen.ws.classify import classify, close_code
from perfstack.testing import free_port


async def connect_error(url: str, **kwargs: Any) -> BaseException:
    try:
        ws = await connect(url, proxy=None, **kwargs)
    except Exception as error:
        return error
    await ws.close()
    raise AssertionError("connected")


def test_refused() -> None:
    error = asyncio.run(connect_error(f"ws://127.0.0.1:{free_port()}/"))
    assert classify(error) == "refused"


@pytest.mark.parametrize("status", [401, 403, 404, 503])
def test_handshake_status(local_server: Any, status: int) -> None:
    error = asyncio.run(connect_error(local_server(reject_status=status).url))
    assert classify(error) == f"handshake_{status}"


def test_handshake_that_never_answers_times_out() -> None:
    with socket.socket() as listener:  # accepts TCP (backlog) but never speaks HTTP
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        error = asyncio.run(connect_error(f"ws://127.0.0.1:{port}/", open_timeout=0.2))
    assert classify(error) == "timeout"


def test_not_a_websocket_server_is_a_handshake_problem() -> None:
    async def http_only() -> BaseException:
        async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"garbage that is not HTTP\r\n\r\n")
            await writer.drain()
            writer.close()

        server = await asyncio.start_server(answer, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        async with server:
            return await connect_error(f"ws://127.0.0.1:{port}/")

    assert classify(asyncio.run(http_only())) == "handshake_invalid"


def test_closes_by_whom_and_how() -> None:
    by_server = ConnectionClosedOK(Close(1001, "bye"), None)
    assert classify(by_server) == "closed_by_server" and close_code(by_server) == 1001
    assert classify(ConnectionClosedError(None, None)) == "connection_lost"
    assert classify(ConnectionClosedError(Close(1002, ""), None)) == "protocol_error"
    assert classify(ConnectionClosedError(None, Close(1009, ""))) == "message_too_big"
    assert close_code(ConnectionClosedError(None, None)) is None


def test_os_errors() -> None:
    assert classify(ConnectionResetError()) == "reset"
    assert classify(socket.gaierror()) == "dns"
    assert classify(OSError(24, "Too many open files")) == "too_many_open_files"
    assert classify(RuntimeError("?")) == "other"
