"""The gate's Prometheus HTTP API client: instant and range queries, errors kept apart.

Two kinds of failure matter to a CI verdict and get different exit codes:
`QueryRejected` (Prometheus answered 400 bad_data / 422 execution: the rule's query is
wrong, exit 2) and `PrometheusUnavailable` (connection refused, timeout, 5xx, a body that
is not the API's JSON, a success with `warnings` such as a partial response: exit 4).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from perfstack.core.errors import ExitCode, PerfstackError

T = TypeVar("T")


class PrometheusError(Exception):
    """Base of the two failures below; the message is one line for the verdict table."""


class PrometheusUnavailable(PrometheusError):
    pass


class QueryRejected(PrometheusError):
    pass


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    value: float  # NaN, +Inf, -Inf preserved as floats


@dataclass(frozen=True)
class RangeSeries:
    labels: dict[str, str]
    points: tuple[tuple[float, float], ...]


def parse_sample_value(text: str) -> float:
    """Prometheus writes NaN, +Inf and -Inf as strings; float() reads all three."""
    return float(text)


class PrometheusClient:
    def __init__(self, url: str, timeout: float = 10.0, client: httpx.Client | None = None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise PerfstackError(
                f"Prometheus URL {url!r}: expected http(s)://host:port", ExitCode.USAGE
            )
        self.url = url.rstrip("/")
        self._client = client or httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PrometheusClient:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def instant(self, query: str, time: float) -> list[Series]:
        return self._parsed(
            self._vector, self._get("/api/v1/query", {"query": query, "time": _fmt_time(time)})
        )

    @staticmethod
    def _vector(data: Any) -> list[Series]:
        kind, result = data.get("resultType"), data.get("result") or []
        if kind == "vector":
            return [
                Series(dict(item["metric"]), parse_sample_value(item["value"][1]))
                for item in result
            ]
        if kind == "scalar":
            return [Series({}, parse_sample_value(result[1]))]
        raise QueryRejected(f"query returned a {kind}, expected an instant vector or scalar")

    def range(self, query: str, start: float, end: float, step: float) -> list[RangeSeries]:
        params = {
            "query": query,
            "start": _fmt_time(start),
            "end": _fmt_time(end),
            "step": f"{step:g}",
        }
        return self._parsed(self._matrix, self._get("/api/v1/query_range", params))

    def samples(self, query: str, time: float) -> list[RangeSeries]:
        """The raw samples of a range-vector selector (`metric{...}[90d]`) at `time`."""
        data = self._get("/api/v1/query", {"query": query, "time": _fmt_time(time)})
        if isinstance(data, dict) and data.get("resultType") not in (None, "matrix"):
            raise QueryRejected(f"query returned a {data.get('resultType')}, expected a matrix")
        return self._parsed(self._matrix, data)

    def label_values(self, label: str, match: str, start: float, end: float) -> list[str]:
        """Values of `label` on the series `match` selects between start and end."""
        params = {"match[]": match, "start": _fmt_time(start), "end": _fmt_time(end)}
        return self._parsed(_strings, self._get(f"/api/v1/label/{label}/values", params))

    def _parsed(self, parse: Callable[[Any], list[T]], data: Any) -> list[T]:
        """An answer that is JSON but not the API's shape is an unavailable Prometheus (a
        proxy's error page, a truncated body), never an empty result."""
        try:
            return parse(data)
        except (AttributeError, KeyError, TypeError, IndexError, ValueError) as error:
            raise PrometheusUnavailable(
                f"Prometheus at {self.url}: unexpected answer ({error!r})"
            ) from error

    @staticmethod
    def _matrix(data: Any) -> list[RangeSeries]:
        return [
            RangeSeries(
                dict(item["metric"]),
                tuple((float(t), parse_sample_value(v)) for t, v in item["values"]),
            )
            for item in data.get("result", [])
        ]

    def require_query_api(self, source: str, refused_ok: bool = False) -> None:
        """One line naming where the URL came from (`source`: a flag, an environment
        variable, the stack file) when it is no Prometheus-compatible query API: nothing
        answers (unless `refused_ok`), or it answers without the API's JSON (a web page,
        a 404, another service). Exit 4: nothing can be judged there."""
        endpoint = f"{self.url}/api/v1/query"
        expected = f"expected a Prometheus-compatible query API at {endpoint}"
        try:
            response = self._client.get(endpoint, params={"query": "1"})
        except httpx.HTTPError as error:
            if refused_ok:
                return
            raise PerfstackError(
                f"{source} {self.url}: nothing answers ({error}); {expected}",
                ExitCode.PROMETHEUS_UNAVAILABLE,
            ) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("status") in ("success", "error"):
            return  # the API itself; its errors are judged where they matter
        kind = response.headers.get("content-type", "no content type").split(";")[0]
        raise PerfstackError(
            f"{source} {self.url}: {expected}, got HTTP {response.status_code} ({kind})",
            ExitCode.PROMETHEUS_UNAVAILABLE,
        )

    def check_syntax(self, query: str, time: float) -> None:
        """Raises QueryRejected when Prometheus cannot parse the query.

        `/api/v1/format_query` (Prometheus >= 2.38; 2.42 here) parses without evaluating;
        an older server answers 404 there (VictoriaMetrics 400), and an instant query at
        `time` is used instead.
        """
        try:
            self._get("/api/v1/format_query", {"query": query})
        except PrometheusUnavailable as error:
            # VictoriaMetrics answers "unsupported path" as HTTP 400 in plain text
            if "HTTP 404" not in str(error) and "HTTP 400 without API JSON" not in str(error):
                raise
            self._get("/api/v1/query", {"query": query, "time": _fmt_time(time)})

    def _get(self, path: str, params: dict[str, str]) -> Any:
        try:
            response = self._client.get(self.url + path, params=params)
        except httpx.TimeoutException as error:
            raise PrometheusUnavailable(
                f"Prometheus at {self.url} timed out ({type(error).__name__})"
            ) from error
        except httpx.HTTPError as error:
            raise PrometheusUnavailable(
                f"Prometheus at {self.url} is unreachable: {error}"
            ) from error
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):  # not JSON, or JSON that is not the API's object
            raise PrometheusUnavailable(
                f"Prometheus at {self.url} answered HTTP {response.status_code} without API JSON"
            )
        if response.status_code in (400, 422) and body.get("status") == "error":
            raise QueryRejected(f"{body.get('errorType', 'error')}: {body.get('error', '')}")
        if response.status_code != 200 or body.get("status") != "success":
            raise PrometheusUnavailable(
                f"Prometheus at {self.url} answered HTTP {response.status_code}: "
                f"{body.get('error', body)}"
            )
        if body.get("warnings"):
            # Thanos, Mimir, Cortex (and Prometheus reading remote storage) say "success"
            # with warnings when part of the data could not be read: a partial answer
            raise PrometheusUnavailable(
                f"Prometheus at {self.url} answered with warnings, the result may be partial: "
                + _one_line(body["warnings"])
            )
        return body["data"]  # a dict for queries, a list for label values, text for format_query


def _strings(data: Any) -> list[str]:
    if not isinstance(data, list) or not all(isinstance(item, str) for item in data):
        raise ValueError(f"expected a list of strings, got {data!r:.80}")
    return list(data)


def _one_line(warnings: Any) -> str:
    items = warnings if isinstance(warnings, list) else [warnings]
    return "; ".join(" ".join(str(item).split()) for item in items)


def _fmt_time(value: float) -> str:
    if not math.isfinite(value):
        raise ValueError(f"not a time: {value}")
    return f"{value:.3f}"
