"""WebSocket `/ws/chat`: replies to JSON messages with their id, echoes anything else.

A JSON object carrying an `id` gets `{"id": <same>, "echo": <its text>, "ts": <epoch s>}`
after the typing delay; other text frames and binary frames come back verbatim. Each
message is answered on its own schedule (not queued behind earlier ones), so the typing
delay shows up once in every round trip. Beyond `ws_max_connections` open connections
the handshake is refused (HTTP 403) before accepting.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from starlette.routing import WebSocketRoute
from starlette.types import Message
from starlette.websockets import WebSocket, WebSocketDisconnect

from demo.state import DemoState

TRY_AGAIN_LATER = 1013
PEER_GONE = (WebSocketDisconnect, RuntimeError, OSError)


def _reply_for(text: str) -> str:
    try:
        message: Any = json.loads(text)
    except ValueError:
        return text
    if not isinstance(message, dict) or "id" not in message:
        return text
    return json.dumps({"id": message["id"], "echo": message.get("text"), "ts": time.time()})


def chat_route(state: DemoState) -> WebSocketRoute:
    metrics = state.metrics

    async def answer(websocket: WebSocket, lock: asyncio.Lock, frame: Message) -> None:
        delay_ms = state.knobs.ws_typing_delay_ms
        if delay_ms > 0:
            await asyncio.sleep(delay_ms / 1000.0)
        await state.stall.wait_over()
        async with lock:
            try:
                if frame.get("text") is not None:
                    await websocket.send_text(_reply_for(frame["text"]))
                else:
                    await websocket.send_bytes(frame.get("bytes") or b"")
            except PEER_GONE:
                return
        metrics.ws_messages.labels("sent").inc()

    async def chat(websocket: WebSocket) -> None:
        cap = state.knobs.ws_max_connections
        if cap and state.ws_open >= cap:
            metrics.ws_connections.labels("refused").inc()
            await websocket.close(code=TRY_AGAIN_LATER)
            return
        state.ws_open += 1
        metrics.ws_open.inc()
        metrics.ws_connections.labels("accepted").inc()
        lock = asyncio.Lock()
        pending: set[asyncio.Task[None]] = set()
        try:
            await websocket.accept()
            while True:
                frame = await websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    break
                metrics.ws_messages.labels("received").inc()
                if state.knobs.ws_typing_delay_ms > 0 or state.stall.remaining() > 0:
                    task = asyncio.create_task(answer(websocket, lock, frame))
                    pending.add(task)
                    task.add_done_callback(pending.discard)
                else:
                    await answer(websocket, lock, frame)
        except PEER_GONE:
            pass  # the peer vanished mid-exchange: the session just ends
        finally:
            for task in pending:
                task.cancel()
            state.ws_open -= 1
            metrics.ws_open.dec()

    return WebSocketRoute("/ws/chat", chat)
