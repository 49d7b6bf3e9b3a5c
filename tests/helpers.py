"""Small helpers shared by tests of every area; what the benchmarks need as well
(free_port, prom_query, PrometheusProcess) is in perfstack.testing."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import httpx
import yaml

from perfstack.testing import prom_query

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.1) -> T:
    """Poll until predicate() returns something truthy; return it or fail with the last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


def prom_query_range(
    prometheus_url: str, expr: str, start: float, end: float, step: float = 1.0
) -> list[dict[str, Any]]:
    params = {"query": expr, "start": start, "end": end, "step": step}
    response = httpx.get(f"{prometheus_url}/api/v1/query_range", params=params, timeout=10)
    response.raise_for_status()
    body = response.json()
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def prom_scalar(prometheus_url: str, expr: str, time: float | None = None) -> float | None:
    """The single value of an instant query, None when empty; fails on several series."""
    result = prom_query(prometheus_url, expr, time)
    if not result:
        return None
    assert len(result) == 1, f"expected one series for {expr}, got {len(result)}: {result}"
    return float(result[0]["value"][1])


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """(certificate, key) in PEM for 127.0.0.1, valid one day; the certificate is its own CA."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


def webhook_alertmanager_config(path: Path, webhook_url: str) -> Path:
    """An Alertmanager config sending every alert, grouped by run and alert, to one test
    webhook within a second or two; written to `path`."""
    config = {
        "route": {
            "receiver": "test-webhook",
            "group_by": ["testid", "alertname"],
            "group_wait": "1s",
            "group_interval": "5s",
            "repeat_interval": "1h",
        },
        "receivers": [
            {
                "name": "test-webhook",
                "webhook_configs": [{"url": webhook_url, "send_resolved": False}],
            }
        ],
    }
    path.write_text(yaml.safe_dump(config))
    return path


# set in every pytest-xdist worker; pytest-benchmark turns its benchmarks off in any
# session that sees them, inner sessions and scripts under test included
XDIST_VARIABLES = ("PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT", "PYTEST_XDIST_TESTRUNUID")


def outside_xdist(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """`environ` (default: this process's) without pytest-xdist's worker variables, for an
    inner pytest session that must run as if started on its own."""
    source = os.environ if environ is None else environ
    return {name: value for name, value in source.items() if name not in XDIST_VARIABLES}
