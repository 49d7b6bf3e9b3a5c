"""Map a failed request (exception and/or response status) to one `error_type` value.

Both Locust clients are covered: HttpUser (requests/urllib3, which nests the socket
error a few levels deep in `args`/`reason`/`__cause__`) and FastHttpUser
(geventhttpclient, which raises the socket error itself). The walk over the whole
exception chain keeps this independent of how deep a library wraps the cause.
"""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator

from loadgen.locust.in_flight import RequestInFlightAtStop

ERROR_TYPES = (
    "in_flight_at_stop",
    "connection_refused",
    "connection_reset",
    "timeout",
    "dns",
    "tls",
    "http_4xx",
    "http_5xx",
    "other",
)

_TIMEOUT_NAMES = ("Timeout", "timeout", "ReadTimeout", "ConnectTimeout", "TimeoutError")


def classify(exception: BaseException | None, status_code: int | None) -> str:
    """The error_type of a failed request; HTTP status wins when a response arrived."""
    if status_code is not None and status_code >= 500:
        return "http_5xx"
    if status_code is not None and 400 <= status_code < 500:
        return "http_4xx"
    if exception is None:
        return "other"
    if isinstance(exception, RequestInFlightAtStop):
        return "in_flight_at_stop"  # no response: killed while waiting for it
    causes = list(_chain(exception))
    # Types first over the whole chain: a wrapper's message often quotes its cause's text.
    for classifier in (_by_builtin_type, _by_type_name, _by_text):
        for cause in causes:
            kind = classifier(cause)
            if kind is not None:
                return kind
    return "other"


def _by_builtin_type(error: BaseException) -> str | None:
    if isinstance(error, ConnectionRefusedError):
        return "connection_refused"
    if isinstance(error, (ConnectionResetError, BrokenPipeError, ConnectionAbortedError)):
        return "connection_reset"
    if isinstance(error, socket.gaierror):
        return "dns"
    if isinstance(error, ssl.SSLError | ssl.CertificateError):
        return "tls"
    if isinstance(error, TimeoutError | socket.timeout):
        return "timeout"
    return None


def _by_type_name(error: BaseException) -> str | None:
    type_names = {klass.__name__ for klass in type(error).__mro__}
    if "NewConnectionError" in type_names:
        return None  # urllib3 derives it from ConnectTimeoutError even when refused
    if type_names & {"SSLError", "CertificateError"}:
        return "tls"
    if type_names & set(_TIMEOUT_NAMES):
        return "timeout"
    if "NameResolutionError" in type_names:
        return "dns"
    return None


def _by_text(error: BaseException) -> str | None:
    text = str(error)
    if "Connection refused" in text or "[Errno 111]" in text:
        return "connection_refused"
    if "Connection reset" in text or "[Errno 104]" in text or "RemoteDisconnected" in text:
        return "connection_reset"
    if "Name or service not known" in text or "nodename nor servname" in text:
        return "dns"
    if "timed out" in text:
        return "timeout"
    return None


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The exception, then everything it wraps (cause, context, reason, exception args)."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for attribute in ("__cause__", "__context__", "reason", "original_error"):
            inner = getattr(current, attribute, None)
            if isinstance(inner, BaseException):
                pending.append(inner)
        pending.extend(
            arg for arg in getattr(current, "args", ()) if isinstance(arg, BaseException)
        )
