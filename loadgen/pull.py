"""Pull mode: serve a registry on /metrics for a Prometheus that scrapes instead."""

from __future__ import annotations

from typing import Any

from prometheus_client import start_http_server
from prometheus_client.registry import CollectorRegistry

from perfstack.errors import ExitCode, PerfstackError


def serve_metrics(registry: CollectorRegistry, port: int, addr: str = "127.0.0.1") -> Any:
    """Start a /metrics server in a daemon thread; returns the server (call .shutdown())."""
    try:
        server, _thread = start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:
        raise PerfstackError(
            f"metrics port {addr}:{port} unavailable: {exc.strerror}", ExitCode.PORT_IN_USE
        ) from exc
    return server
