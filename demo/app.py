"""The app factory: routes, the knobs middleware, the metrics registry, background tasks."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.middleware import Middleware

from demo.admin import admin_routes
from demo.http_routes import http_routes
from demo.knobs import Knobs
from demo.metrics import DemoMetrics, build_registry
from demo.middleware import KnobsMiddleware
from demo.state import DemoState
from demo.ws_chat import chat_route


def create_app(
    knobs: Knobs | None = None,
    *,
    registry: CollectorRegistry | None = None,
    rng: random.Random | None = None,
    stall_seconds: float = 0.0,
    seed_items: int = 100,
) -> Starlette:
    """Build the demo target. `registry` defaults to `build_registry()` (the one place
    where process-level collectors are added); the state is at `app.state.demo`."""
    metrics = DemoMetrics(registry if registry is not None else build_registry())
    state = DemoState(
        knobs or Knobs(), metrics, rng=rng, stall_seconds=stall_seconds, seed_items=seed_items
    )
    routes = [*http_routes(state), chat_route(state), *admin_routes(state)]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if state.initial_stall_seconds > 0:
            state.stall.start(state.initial_stall_seconds)
        leak = asyncio.create_task(state.leak.run(lambda: state.knobs.leak_bytes_per_second))
        try:
            yield
        finally:
            leak.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await leak

    app = Starlette(
        routes=routes,
        middleware=[Middleware(KnobsMiddleware, state=state, routes=routes)],
        lifespan=lifespan,
    )
    app.state.demo = state
    return app
