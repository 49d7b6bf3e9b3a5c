"""A tiny `websockets` server in a background thread, for cases the demo target can't produce
on demand (a 401 handshake, a reply that matches nothing, closing after N messages)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve

Handler = Callable[[ServerConnection], Awaitable[None]]


async def reply_by_id(ws: ServerConnection) -> None:
    async for message in ws:
        ws_id = json.loads(message).get("id")
        await ws.send(json.dumps({"id": ws_id, "ok": True}))


async def echo(ws: ServerConnection) -> None:
    async for message in ws:
        await ws.send(message)


async def never_reply(ws: ServerConnection) -> None:
    async for _ in ws:
        pass


def _chat_if_offered(connection: ServerConnection, offered: Any) -> Any:
    return "chat.v1" if "chat.v1" in offered else None


class LocalServer:
    def __init__(
        self,
        handler: Handler = reply_by_id,
        reject_status: int | None = None,
        max_connections: int | None = None,
    ) -> None:
        self.handler = handler
        self.reject_status = reject_status
        self.max_connections = max_connections
        self.open = 0
        self.headers_seen: list[dict[str, str]] = []
        self.subprotocols_seen: list[str | None] = []
        self.loop = asyncio.new_event_loop()
        self._server: Server | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(5)
        assert self._server is not None
        self.port = int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/chat"

    def _process_request(self, connection: ServerConnection, request: Any) -> Any:
        self.headers_seen.append(dict(request.headers.raw_items()))
        if self.reject_status is not None:
            return connection.respond(self.reject_status, "rejected\n")
        if self.max_connections is not None and self.open >= self.max_connections:
            return connection.respond(503, "full\n")
        return None

    async def _handle(self, ws: ServerConnection) -> None:
        self.open += 1
        self.subprotocols_seen.append(ws.subprotocol)
        try:
            await self.handler(ws)
        except Exception:
            pass
        finally:
            self.open -= 1

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)

        async def start() -> None:
            self._server = await serve(
                self._handle,
                "127.0.0.1",
                0,
                process_request=self._process_request,
                select_subprotocol=_chat_if_offered,
                compression=None,
            )
            self._ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def call(self, coroutine: Awaitable[Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(10)  # type: ignore[arg-type]

    def close(self) -> None:
        async def stop() -> None:
            assert self._server is not None
            self._server.close()
            await self._server.wait_closed()

        self.call(stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
