"""Name what went wrong on a WebSocket: a bounded set of error types for metric labels.

Types: refused, reset, timeout, dns, tls, handshake_<status> (e.g. handshake_401),
handshake_invalid, protocol_error, closed_by_server, connection_lost, message_too_big,
other. Close codes are kept apart (in the run record), not in labels.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import ssl

from websockets.exceptions import (
    ConnectionClosed,
    InvalidHandshake,
    InvalidStatus,
    PayloadTooBig,
    ProtocolError,
)

PHASES = ("connect", "read", "write", "close")


def classify(error: BaseException) -> str:
    if isinstance(error, InvalidStatus):
        return f"handshake_{error.response.status_code}"
    if isinstance(error, ConnectionClosed):
        return closed_type(error)
    if isinstance(error, TimeoutError | asyncio.TimeoutError):
        return "timeout"
    if isinstance(error, ConnectionRefusedError):
        return "refused"
    if isinstance(error, ConnectionResetError | BrokenPipeError):
        return "reset"
    if isinstance(error, socket.gaierror):
        return "dns"
    if isinstance(error, ssl.SSLError):
        return "tls"
    if isinstance(error, PayloadTooBig):
        return "message_too_big"
    if isinstance(error, ProtocolError):
        return "protocol_error"
    if isinstance(error, InvalidHandshake):
        return "handshake_invalid"
    if isinstance(error, EOFError):
        return "closed_by_server"
    if isinstance(error, OSError):
        if error.errno == errno.ECONNREFUSED:
            return "refused"
        if error.errno in (errno.ECONNRESET, errno.EPIPE):
            return "reset"
        if error.errno in (errno.EMFILE, errno.ENFILE):
            return "too_many_open_files"
        if error.errno == errno.EADDRNOTAVAIL:
            return "no_local_port"
        return "os_error"
    return "other"


def closed_type(error: ConnectionClosed) -> str:
    """Who ended the connection: the server with a close frame, a protocol error, or nobody."""
    if error.rcvd is not None:
        if error.rcvd.code == 1002:
            return "protocol_error"
        if error.rcvd.code == 1009:
            return "message_too_big"
        return "closed_by_server"
    if error.sent is not None and error.sent.code in (1002, 1007, 1009):
        return "protocol_error" if error.sent.code != 1009 else "message_too_big"
    return "connection_lost"


def close_code(error: BaseException) -> int | None:
    if isinstance(error, ConnectionClosed) and error.rcvd is not None:
        return int(error.rcvd.code)
    return None
