"""ASGI middleware applying the stall, added-latency and error-ratio knobs, and recording
request metrics under route templates (never raw URLs, which would explode label sets)."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Sequence

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from demo.metrics import UNMATCHED_PATH
from demo.state import DemoState

ADMIN_PREFIX = "/admin"
API_PREFIX = "/api/"
_CONVERTOR = re.compile(r":[a-z]+}")


def route_template(routes: Sequence[BaseRoute], scope: Scope) -> str:
    for route in routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            # "/api/items/{item_id:int}" -> "/api/items/{item_id}": the convertor is noise.
            return _CONVERTOR.sub("}", str(getattr(route, "path", UNMATCHED_PATH)))
    return UNMATCHED_PATH


class KnobsMiddleware:
    def __init__(self, app: ASGIApp, state: DemoState, routes: Sequence[BaseRoute]) -> None:
        self.app = app
        self.state = state
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":
            await self.state.stall.wait_over()
            await self.app(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        template = route_template(self.routes, scope)
        status = 500  # what an exception escaping the app turns into

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            if await self._injected_error(scope["path"]):
                status = 500
                await _send_json(send, 500, {"error": "injected by error_ratio knob"})
            else:
                await self.app(scope, receive, recording_send)
        finally:
            method = scope["method"]
            metrics = self.state.metrics
            metrics.http_requests.labels(template, method, str(status)).inc()
            metrics.http_duration.labels(template, method).observe(time.perf_counter() - started)

    async def _injected_error(self, path: str) -> bool:
        """Apply stall and latency knobs; True when this request must answer 500."""
        if path.startswith(ADMIN_PREFIX):
            return False
        await self.state.stall.wait_over()
        if not path.startswith(API_PREFIX):
            return False
        knobs = self.state.knobs
        if knobs.latency_ms > 0:
            await asyncio.sleep(knobs.latency_ms / 1000.0)
        return knobs.error_ratio > 0 and self.state.rng.random() < knobs.error_ratio


async def _send_json(send: Send, status: int, body: object) -> None:
    payload = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})
