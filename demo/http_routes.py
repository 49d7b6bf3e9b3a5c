"""HTTP endpoints: health, root, items (with the LRU cache), latency, flaky, metrics."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from demo.state import DemoState

CACHE_MISS_SECONDS = 0.002  # what a lookup in the "backing store" costs on a cache miss
MAX_PAGE = 100


def _bad_request(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=400)


def _int_param(request: Request, name: str, default: int, upper: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or int(raw) > upper:
        raise ValueError(f"query parameter {name} must be a whole number 0..{upper}, got {raw!r}")
    return int(raw)


def http_routes(state: DemoState) -> list[Route]:
    endpoints = [
        "/health", "/", "/api/items", "/api/items/{item_id}", "/api/latency", "/api/flaky",
        "/ws/chat", "/metrics", "/admin/knobs", "/admin/leak/release",
    ]  # fmt: skip

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def root(request: Request) -> Response:
        return JSONResponse({"service": "perfstack demo target", "endpoints": endpoints})

    async def list_items(request: Request) -> Response:
        try:
            offset = _int_param(request, "offset", 0, 10**9)
            limit = _int_param(request, "limit", 20, MAX_PAGE)
        except ValueError as error:
            return _bad_request(str(error))
        return JSONResponse({"items": state.items.page(offset, limit), "total": len(state.items)})

    async def create_item(request: Request) -> Response:
        try:
            fields: Any = json.loads(await request.body())
        except ValueError:
            return _bad_request("body must be JSON")
        if not isinstance(fields, dict) or not isinstance(fields.get("name"), str):
            return _bad_request('body must be a JSON object with a string "name"')
        return JSONResponse(state.items.create(fields), status_code=201)

    async def get_item(request: Request) -> Response:
        item_id = int(request.path_params["item_id"])
        state.metrics.cache_requests.inc()
        item = state.cache.get(item_id)
        if item is not None:
            state.metrics.cache_hits.inc()
        else:
            await asyncio.sleep(CACHE_MISS_SECONDS)
            item = state.items.get(item_id)
            if item is None:
                return JSONResponse({"error": f"no item {item_id}"}, status_code=404)
            if state.cache.capacity > 0:
                state.cache.put(item_id, item)
        return JSONResponse(item)

    async def latency(request: Request) -> Response:
        slept_ms = state.distribution.sample_ms(state.rng)
        await asyncio.sleep(slept_ms / 1000.0)
        return JSONResponse({"slept_ms": slept_ms, "distribution": state.distribution.spec})

    async def flaky(request: Request) -> Response:
        if state.rng.random() < state.knobs.flaky_ratio:
            return JSONResponse({"error": "flaky"}, status_code=503)
        return JSONResponse({"status": "ok"})

    async def metrics(request: Request) -> Response:
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return [
        Route("/health", health),
        Route("/", root),
        Route("/api/items", list_items, methods=["GET"]),
        Route("/api/items", create_item, methods=["POST"]),
        Route("/api/items/{item_id:int}", get_item),
        Route("/api/latency", latency),
        Route("/api/flaky", flaky),
        Route("/metrics", metrics),
    ]
