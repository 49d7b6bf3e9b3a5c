"""Binding: the listening socket and the errors for a taken port."""

from __future__ import annotations

import socket

import pytest

from demo.server import bind_socket
from perfstack.core.errors import ExitCode, PerfstackError


def test_socket_is_tcp_so_accepted_sockets_get_nodelay() -> None:
    # asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP; without it every
    # keep-alive response waited ~40 ms for a delayed ACK.
    sock = bind_socket("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
        with socket.create_connection(sock.getsockname()):
            accepted, _ = sock.accept()
            assert accepted.proto == socket.IPPROTO_TCP
            accepted.close()
    finally:
        sock.close()


def test_taken_port_is_port_in_use() -> None:
    sock = bind_socket("127.0.0.1", 0)
    try:
        with pytest.raises(PerfstackError) as raised:
            bind_socket("127.0.0.1", sock.getsockname()[1])
        assert raised.value.exit_code == ExitCode.PORT_IN_USE
    finally:
        sock.close()


def test_open_file_limit_is_raised_toward_the_hard_limit() -> None:
    import resource

    from demo.server import raise_open_file_limit

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
        raise_open_file_limit(wanted=min(2048, hard))
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == min(2048, hard)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
