"""The target's own Prometheus metrics, all in one registry built in one place.

`build_registry()` is where collectors that describe the process are added: the
prometheus-client defaults today; the exporters area's in-process GC helper is meant to
be registered there too (one call), so every app built by `demo.app.create_app` gets it.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from exporters import python_gc

# Buckets from 1 ms to 30 s: covers a fast cache hit as well as a stalled request.
LATENCY_BUCKETS = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0,
    2.5, 5.0, 10.0, 30.0,
)  # fmt: skip

UNMATCHED_PATH = "_unmatched_"  # label for requests that matched no route (404s)


def build_registry() -> CollectorRegistry:
    """A fresh registry with the process, GC and platform collectors.

    Hook for the exporters area: register the in-process GC metrics helper here.
    """
    registry = CollectorRegistry()
    ProcessCollector(registry=registry)
    GCCollector(registry=registry)
    PlatformCollector(registry=registry)
    python_gc.install(registry)
    return registry


class DemoMetrics:
    """Request, WebSocket, cache and knob metrics of the demo target."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.http_requests = Counter(
            "demo_http_requests_total",
            "HTTP requests answered, by route template, method and status.",
            ["path", "method", "status"],
            registry=registry,
        )
        self.http_duration = Histogram(
            "demo_http_request_duration_seconds",
            "Time from request to response, by route template and method.",
            ["path", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.ws_open = Gauge(
            "demo_ws_connections_open", "WebSocket connections open now.", registry=registry
        )
        self.ws_connections = Counter(
            "demo_ws_connections_total",
            "WebSocket connection attempts, by result (accepted, refused).",
            ["result"],
            registry=registry,
        )
        self.ws_messages = Counter(
            "demo_ws_messages_total",
            "WebSocket messages, by direction (received, sent).",
            ["direction"],
            registry=registry,
        )
        self.cache_requests = Counter(
            "demo_cache_requests_total", "Item lookups through the LRU cache.", registry=registry
        )
        self.cache_hits = Counter(
            "demo_cache_hits_total", "Item lookups answered from the LRU cache.", registry=registry
        )
        self.leaked_bytes = Gauge(
            "demo_leaked_bytes", "Bytes retained by the leak knob so far.", registry=registry
        )
        self.stalled = Gauge(
            "demo_stalled", "1 while the stall knob holds requests, else 0.", registry=registry
        )
        self.knob = Gauge(
            "demo_knob_value",
            "Current numeric knob values (latency_ms, error_ratio, ...).",
            ["knob"],
            registry=registry,
        )
        # Pre-create the WS children so they read 0 rather than being absent before use.
        for result in ("accepted", "refused"):
            self.ws_connections.labels(result)
        for direction in ("received", "sent"):
            self.ws_messages.labels(direction)
