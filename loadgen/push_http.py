"""POSTs remote-write batches and classifies the answer: sent, retry later, or drop.

2xx: sent. 429, 5xx, connection errors and timeouts: retry (the endpoint is overloaded or
away). Other 4xx: the endpoint will never take this batch, so it is dropped as
`out_of_order` when the body says the samples were too old/duplicate, else `rejected`.
"""

from __future__ import annotations

import enum
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from loadgen.remote_write import CONTENT_HEADERS

if TYPE_CHECKING:
    from loadgen.push import PushConfig

_OUT_OF_ORDER_MARKERS = ("out of order", "out-of-order", "out of bounds", "duplicate sample")


class Outcome(enum.Enum):
    SENT = "sent"
    RETRY = "retry"
    REJECTED = "rejected"
    OUT_OF_ORDER = "out_of_order"


@dataclass(frozen=True)
class SendResult:
    outcome: Outcome
    detail: str


def build_client(config: PushConfig) -> httpx.Client:
    headers = {**CONTENT_HEADERS, **config.headers}
    if config.bearer_token:
        headers["Authorization"] = f"Bearer {config.bearer_token}"
    verify: ssl.SSLContext | bool = True
    if config.ca_file or config.client_cert:
        verify = ssl.create_default_context(cafile=config.ca_file)
        if config.client_cert:
            verify.load_cert_chain(*config.client_cert)
    return httpx.Client(
        headers=headers,
        auth=httpx.BasicAuth(*config.basic_auth) if config.basic_auth else None,
        verify=verify,
        timeout=config.timeout,
        follow_redirects=False,
    )


def classify(status: int, body: str) -> SendResult:
    detail = f"HTTP {status}: {' '.join(body.split())[:200]}"
    if 200 <= status < 300:
        return SendResult(Outcome.SENT, detail)
    if status == 429 or status >= 500 or status < 200:
        return SendResult(Outcome.RETRY, detail)
    lowered = body.lower()
    if any(marker in lowered for marker in _OUT_OF_ORDER_MARKERS):
        return SendResult(Outcome.OUT_OF_ORDER, detail)
    if 300 <= status < 400:
        return SendResult(Outcome.REJECTED, detail + " (redirects are not followed)")
    return SendResult(Outcome.REJECTED, detail)


def post_batch(client: httpx.Client, url: str, body: bytes) -> SendResult:
    try:
        response = client.post(url, content=body)
    except httpx.TransportError as exc:  # connect/read errors and timeouts
        return SendResult(Outcome.RETRY, f"{type(exc).__name__}: {exc}")
    except Exception as exc:  # never let the sender thread die: retry with backoff
        return SendResult(Outcome.RETRY, f"unexpected {type(exc).__name__}: {exc}")
    return classify(response.status_code, response.text)
