"""A tiny `websockets` server in its own process, for cases the demo target can't produce on
demand (a 401 handshake, replies matching nothing, closing after N messages).

Its own process, not a thread: once Locust is imported anywhere in the pytest process,
gevent has patched threading, and an asyncio loop in a thread would share the test's.

    python -m tests.loadgen.ws.local_server --behaviour reply_by_id [--reject-status 401]
        [--max-connections N] [--record FILE] [--tls CERT KEY]  # prints "READY <port>"
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from websockets.asyncio.server import ServerConnection, serve

Handler = Callable[[ServerConnection], Awaitable[None]]


async def reply_by_id(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(json.dumps({"id": json.loads(message).get("id"), "ok": True}))


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def never_reply(ws: ServerConnection) -> None:
    async for _ in ws:
        pass


async def slow_reply(ws: ServerConnection) -> None:
    async for message in ws:
        await asyncio.sleep(0.05)
        await ws.send(json.dumps({"id": json.loads(message)["id"]}))


async def wrong_ids(ws: ServerConnection) -> None:
    async for _ in ws:
        await ws.send(json.dumps({"id": "nobody"}))
        await ws.send("not json at all")


async def close_after_two(ws: ServerConnection) -> None:
    for _ in range(2):
        message = await ws.recv()
        await ws.send(json.dumps({"id": json.loads(message)["id"]}))
    await ws.close(1001, "going away")


async def close_at_once(ws: ServerConnection) -> None:
    await ws.close(1011, "boom")


BEHAVIOURS: dict[str, Handler] = {
    f.__name__: f
    for f in (reply_by_id, echo, never_reply, slow_reply, wrong_ids, close_after_two, close_at_once)
}


async def serve_forever(args: argparse.Namespace) -> None:
    handler = BEHAVIOURS[args.behaviour]
    open_count = 0
    record = open(args.record, "a", encoding="utf-8") if args.record else None  # noqa: SIM115

    def process_request(connection: ServerConnection, request: Any) -> Any:
        if record:
            record.write(json.dumps({"headers": dict(request.headers.raw_items())}) + "\n")
            record.flush()
        if args.reject_status:
            return connection.respond(args.reject_status, "rejected\n")
        if args.max_connections and open_count >= args.max_connections:
            return connection.respond(503, "full\n")
        return None

    def select_subprotocol(connection: ServerConnection, offered: Any) -> Any:
        return "chat.v1" if "chat.v1" in offered else None

    async def handle(ws: ServerConnection) -> None:
        nonlocal open_count
        open_count += 1
        if record:
            record.write(json.dumps({"subprotocol": ws.subprotocol}) + "\n")
            record.flush()
        try:
            await handler(ws)
        except Exception:
            pass
        finally:
            open_count -= 1

    tls = None
    if args.tls:
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(*args.tls)
    async with serve(
        handle,
        "127.0.0.1",
        0,
        process_request=process_request,
        select_subprotocol=select_subprotocol,
        compression=None,
        ssl=tls,
    ) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"READY {port}", flush=True)
        await asyncio.Future()


class LocalServer:
    """Handle on a server process: `.url`, `.seen()` (recorded handshakes), `.close()`."""

    def __init__(
        self,
        behaviour: str = "reply_by_id",
        record: Path | None = None,
        reject_status: int | None = None,
        max_connections: int | None = None,
        tls: tuple[Path, Path] | None = None,
    ) -> None:
        argv = [sys.executable, "-m", "tests.loadgen.ws.local_server", "--behaviour", behaviour]
        self.scheme = "wss" if tls else "ws"
        if tls:
            argv += ["--tls", str(tls[0]), str(tls[1])]
        if reject_status:
            argv += ["--reject-status", str(reject_status)]
        if max_connections:
            argv += ["--max-connections", str(max_connections)]
        self.record = record
        if record:
            argv += ["--record", str(record)]
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, text=True)
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("READY "), f"local server did not start: {line!r}"
        self.port = int(line.split()[1])

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}/chat"

    def seen(self) -> list[dict[str, Any]]:
        assert self.record is not None
        return [json.loads(line) for line in self.record.read_text().splitlines()]

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--behaviour", choices=sorted(BEHAVIOURS), default="reply_by_id")
    parser.add_argument("--reject-status", type=int)
    parser.add_argument("--max-connections", type=int)
    parser.add_argument("--record")
    parser.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    asyncio.run(serve_forever(parser.parse_args()))


if __name__ == "__main__":
    main()
