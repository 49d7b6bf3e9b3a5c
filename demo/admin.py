"""Admin API: read and change knobs at runtime. Never stalled, delayed or failed on purpose."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from demo.knobs import KnobError
from demo.state import DemoState


def admin_routes(state: DemoState) -> list[Route]:
    async def get_knobs(request: Request) -> Response:
        return JSONResponse(state.snapshot())

    async def set_knobs(request: Request) -> Response:
        try:
            changes: Any = json.loads(await request.body())
        except ValueError:
            return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
        if not isinstance(changes, dict):
            return JSONResponse({"error": "body must be a JSON object"}, status_code=400)
        try:
            state.apply(changes)
        except KnobError as error:
            return JSONResponse({"error": str(error), "knob": error.knob}, status_code=400)
        return JSONResponse(state.snapshot())

    async def release_leak(request: Request) -> Response:
        return JSONResponse({"released_bytes": state.leak.release()})

    return [
        Route("/admin/knobs", get_knobs, methods=["GET"]),
        Route("/admin/knobs", set_knobs, methods=["POST"]),
        Route("/admin/leak/release", release_leak, methods=["POST"]),
    ]
