from __future__ import annotations

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from perfstack.core.errors import ExitCode, PerfstackError
from perfstack.push.pull import serve_metrics
from perfstack.testing import free_port


def test_metrics_are_served_on_loopback_and_a_busy_port_is_a_clear_error() -> None:
    registry = CollectorRegistry()
    Counter("pull_probe", "p", registry=registry).inc(4)
    port = free_port()
    server = serve_metrics(registry, port)
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert "pull_probe_total 4.0" in text
        assert server.server_address[0] == "127.0.0.1"
        with pytest.raises(PerfstackError, match=f"metrics port 127.0.0.1:{port}") as error:
            serve_metrics(registry, port)
        assert error.value.exit_code is ExitCode.PORT_IN_USE
    finally:
        server.shutdown()
        server.server_close()
