"""Whether Prometheus can take pushes, asked once before a session or an import starts
rather than learnt from retries after each test."""

from __future__ import annotations

import http.client
from urllib.parse import urlsplit

READY_TIMEOUT = 3.0


def check_ready(url: str, timeout: float = READY_TIMEOUT) -> str | None:
    """Why Prometheus at `url` cannot take pushes, or None when /-/ready answers 200."""
    parts = urlsplit(url)
    connection_type = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    try:
        connection = connection_type(parts.hostname or "", parts.port, timeout=timeout)
    except ValueError as error:
        return f"is not a usable URL ({error})"
    try:
        connection.request("GET", parts.path.rstrip("/") + "/-/ready")
        status = connection.getresponse().status
    except OSError as error:
        return f"is unreachable ({error})"
    finally:
        connection.close()
    return None if status == 200 else f"answered /-/ready with HTTP {status}"
