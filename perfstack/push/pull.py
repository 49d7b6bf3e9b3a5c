"""Pull mode: serve a registry on /metrics for a Prometheus that scrapes instead."""

from __future__ import annotations

from typing import Any

from perfstack.core.errors import ExitCode, PerfstackError


def serve_metrics(registry: Any, port: int, addr: str = "127.0.0.1") -> Any:
    """Start a /metrics server in a daemon thread; returns the server (call .shutdown()).

    `registry`: ours (perfstack.metrics.registry) or prometheus_client's. prometheus_client is
    imported here, only by a process that serves (see perfstack.metrics.families)."""
    from prometheus_client import start_http_server

    try:
        server, _thread = start_http_server(port, addr=addr, registry=registry)
    except OSError as exc:
        raise PerfstackError(
            f"metrics port {addr}:{port} unavailable: {exc.strerror}", ExitCode.PORT_IN_USE
        ) from exc
    return server
