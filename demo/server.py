"""Run the demo target in the foreground with uvicorn on a socket bound here.

Binding the socket ourselves turns "port in use" into a clear error before anything
starts, allows `--port 0` (the kernel picks; the ready line says which), and leaves no
window between checking a port and using it.
"""

from __future__ import annotations

import errno
import os
import random
import re
import resource
import signal
import socket
import sys
from dataclasses import dataclass, field
from types import FrameType

import uvicorn
from prometheus_client import disable_created_metrics

from demo.app import create_app
from demo.knobs import Knobs
from demo.registration import Registration, registration_dir
from perfstack.core.errors import ExitCode, PerfstackError

READY_PREFIX = "demo target listening on "
_READY_LINE = re.compile(re.escape(READY_PREFIX) + r"(http://\S+):(\d+) \(pid")


def parse_ready_line(output: str) -> tuple[str, int] | None:
    """(base URL, port) from the line the target prints once it listens, if `output` has it."""
    match = _READY_LINE.search(output)
    return (f"{match.group(1)}:{match.group(2)}", int(match.group(2))) if match else None


@dataclass
class TargetOptions:
    host: str = "127.0.0.1"
    port: int = 8000
    knobs: Knobs = field(default_factory=Knobs)
    stall_seconds: float = 0.0
    seed: int | None = None
    seed_items: int = 100
    state_dir: str | None = None
    register: bool = True
    name: str = "demo-target"


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets
    # only then, and without it every keep-alive response waits ~40 ms (Nagle + delayed ACK).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # restart on the same port
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise PerfstackError(
                f"port {port} on {host} is already in use; choose another with --port",
                ExitCode.PORT_IN_USE,
            ) from None
        raise PerfstackError(
            f"cannot listen on --host {host} --port {port}: {error.strerror}", ExitCode.USAGE
        ) from None
    sock.set_inheritable(True)
    return sock


class _Terminated(Exception):
    """SIGTERM, raised in the main thread so cleanup (`finally`) runs."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise _Terminated


def raise_open_file_limit(wanted: int = 65536) -> None:
    """Lift the soft fd limit toward the hard one: each WebSocket holds a descriptor, and
    connection-limit tests must meet `ws_max_connections`, not the default 1024."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def serve(options: TargetOptions) -> int:
    # `_created` series double the series count and nothing here reads them.
    disable_created_metrics()
    raise_open_file_limit()
    sock = bind_socket(options.host, options.port)
    port = int(sock.getsockname()[1])
    app = create_app(
        options.knobs,
        rng=random.Random(options.seed),
        stall_seconds=options.stall_seconds,
        seed_items=options.seed_items,
    )
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=1
    )
    server = uvicorn.Server(config)
    directory = registration_dir(options.state_dir) if options.register else None
    registration = Registration(directory, options.name, options.host, port) if directory else None
    # uvicorn re-raises the signal it caught after its graceful shutdown; with this handler
    # that becomes an exception here instead of killing the process before cleanup.
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        if registration:
            registration.write()
        host = f"[{options.host}]" if ":" in options.host else options.host
        print(f"{READY_PREFIX}http://{host}:{port} (pid {os.getpid()})", flush=True)
        if registration:
            print(f"registered for scraping in {registration.path}", flush=True)
        server.run(sockets=[sock])
    except (_Terminated, KeyboardInterrupt):
        pass
    finally:
        if registration:
            registration.remove()
        signal.signal(signal.SIGTERM, previous)
        sock.close()
        sys.stdout.flush()
    return int(ExitCode.OK)
