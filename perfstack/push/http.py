"""POSTs remote-write batches and classifies the answer: sent, retry later, or drop.

2xx: sent. 429, 5xx, connection errors and timeouts: retry (the endpoint is overloaded or
away). Other 4xx (401/403 from an auth proxy, 404 from a Prometheus without its receiver,
413, 400): the endpoint will never take this batch, so it is dropped as `out_of_order`
when the body says the samples were too old/duplicate, else `rejected`.

Remote-write receivers (Prometheus, VictoriaMetrics, vmagent, Mimir, Thanos) answer a
write with an empty body. A 2xx with an HTML page is a web server or a login page, not a
receiver: `rejected`. A 2xx with another body (e.g. nginx's fixed "ok") may be a stand-in
that keeps nothing; it counts as sent, and the answer is kept as `unexpected` so the
pusher can say so once.
"""

from __future__ import annotations

import base64
import enum
import http.client
import re
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from perfstack.push.remote_write import CONTENT_HEADERS

if TYPE_CHECKING:
    from perfstack.push.config import PushConfig

_OUT_OF_ORDER_MARKERS = ("out of order", "out-of-order", "out of bounds", "duplicate sample")

# Prometheus 2.x answers 500 for a sample older than its out-of-order window: no retry
# will ever make it younger (`perfstack import` of an old file)
_TOO_OLD_MARKERS = ("too old sample",)

_HTML_TITLE = re.compile(r"<title[^>]*>([^<]*)</title>", re.IGNORECASE)


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    REJECTED = "rejected"
    OUT_OF_ORDER = "out_of_order"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str
    unexpected: bool = False  # a 2xx with a body: accepted, but not a receiver's answer


class RemoteWriteClient:
    """One kept-alive HTTP(S) connection to the endpoint, on the standard library.

    The pusher sends about one small request a second for the whole run; http.client does
    that for a fraction of httpx's CPU per request (it measured ~5x less here), and that
    CPU is taken from the load generator it runs in.
    """

    def __init__(self, config: PushConfig) -> None:
        parts = urlsplit(config.url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"expected an http(s) URL, got {config.url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port
        self._path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._timeout = config.timeout
        self._headers = {**CONTENT_HEADERS, **config.headers}
        if config.bearer_token:
            self._headers["Authorization"] = f"Bearer {config.bearer_token}"
        elif config.basic_auth:
            token = base64.b64encode(":".join(config.basic_auth).encode()).decode()
            self._headers["Authorization"] = f"Basic {token}"
        self._context: ssl.SSLContext | None = None
        if self._https:
            self._context = ssl.create_default_context(cafile=config.ca_file)
            if config.client_cert:
                self._context.load_cert_chain(*config.client_cert)
        self._connection: http.client.HTTPConnection | None = None

    def _connect(self) -> http.client.HTTPConnection:
        if self._https:
            return http.client.HTTPSConnection(
                self._host, self._port, timeout=self._timeout, context=self._context
            )
        return http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)

    def post(self, body: bytes) -> tuple[int, str]:
        """(status, body text); raises OSError or HTTPException when no answer came."""
        reused = self._connection is not None
        connection = self._connection or self._connect()
        self._connection = connection
        try:
            connection.request("POST", self._path, body=body, headers=self._headers)
            response = connection.getresponse()
            text = response.read().decode(errors="replace")
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            self.close()
            if not reused:
                raise
            # The server closed the idle kept-alive connection before reading the request:
            # nothing was written, so sending once more on a new connection is safe.
            return self.post(body)
        except BaseException:
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, text

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def describe_body(body: str) -> str:
    """An answer body for a one-line message: an HTML page is named by its title, never
    quoted (it means the URL is a web page or a proxy, not a remote-write endpoint)."""
    text = " ".join(body.split())
    if text[:1] == "<":
        title = _HTML_TITLE.search(text)
        named = f" ({title.group(1).strip()[:80]!r})" if title else ""
        return f"an HTML page{named}, not a remote-write answer: check the URL"
    return text[:200]


def classify(status: int, body: str) -> SendResult:
    detail = f"HTTP {status}: {describe_body(body)}"
    if status == 404 and "remote write receiver" in body:
        detail += " (start Prometheus with --web.enable-remote-write-receiver)"
    if 200 <= status < 300:
        if body.lstrip()[:1] == "<":
            return SendResult(Outcome.REJECTED, detail)
        return SendResult(Outcome.SENT, detail, unexpected=bool(body.strip()))
    lowered = body.lower()
    if status >= 500 and any(marker in lowered for marker in _TOO_OLD_MARKERS):
        return SendResult(Outcome.OUT_OF_ORDER, detail)
    if status == 429 or status >= 500 or status < 200:
        return SendResult(Outcome.RETRY, detail)
    if any(marker in lowered for marker in _OUT_OF_ORDER_MARKERS):
        return SendResult(Outcome.OUT_OF_ORDER, detail)
    if 300 <= status < 400:
        return SendResult(Outcome.REJECTED, detail + " (redirects are not followed)")
    return SendResult(Outcome.REJECTED, detail)


def post_batch(client: RemoteWriteClient, body: bytes) -> SendResult:
    try:
        status, text = client.post(body)
    except (OSError, http.client.HTTPException) as exc:  # connect/read errors and timeouts
        return SendResult(Outcome.RETRY, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # never let the sender thread die: retry with backoff
        return SendResult(Outcome.RETRY, f"unexpected {type(exc).__name__}: {exc}")
    return classify(status, text)
