"""What Prometheus holds of a run, against what its run record counted.

A generator that could not push for part of a run (Prometheus killed mid-run, back only
after it) leaves Prometheus with a prefix of the run: its counters' last values are those of
the moment the pushes stopped. Judged on that, a run with 198 failures in 657 requests read
0 failures in 147 requests and passed. The record counts every request whatever happened to
the pushes, and `samples_dropped` counts what the generator could not push; so before
judging, the gate compares the two. A generator whose data is incomplete makes the
objectives reading it judged from the record's exact figures where it has them, and
inconclusive otherwise (gate/evaluate.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from gate.generators import HTTP, PYTEST, WEBSOCKET, reads_from
from gate.model import Objective
from gate.prometheus import PrometheusClient
from gate.shorthands import HTTP_FAILURES, HTTP_REQUESTS, last, selector
from gate.window import RunWindow, resolve
from perfstack.core.record import RunRecord

WS_MESSAGES_SENT = "loadgen_ws_messages_sent_total"
BENCHMARK_ROUNDS = "pytest_benchmark_rounds"


@dataclass(frozen=True)
class Loss:
    generator: str
    reason: str  # e.g. "Prometheus holds 147 of the run's 657 requests and 0 of its 198 ..."


@dataclass(frozen=True)
class _Count:
    metric: str
    expected: int
    noun: str  # "requests"


@dataclass(frozen=True)
class _Expectation:
    generator: str
    counts: tuple[_Count, ...]
    dropped: int


def expectations(record: RunRecord) -> list[_Expectation]:
    """What each generator of the record pushed, as the record counted it."""
    found = []
    if record.generator == HTTP:
        found.append(
            _Expectation(
                HTTP,
                (
                    _Count(HTTP_REQUESTS, record.requests, "requests"),
                    _Count(HTTP_FAILURES, record.failures, "failures"),
                ),
                record.samples_dropped,
            )
        )
    if record.generator == WEBSOCKET:  # `perfstack ws` on its own: requests are messages
        found.append(
            _Expectation(
                WEBSOCKET,
                (_Count(WS_MESSAGES_SENT, record.requests, "WebSocket messages sent"),),
                record.samples_dropped,
            )
        )
    elif isinstance(sent := _ws_messages_sent(record.extra.get("ws")), int):
        found.append(
            _Expectation(WEBSOCKET, (_Count(WS_MESSAGES_SENT, sent, "WebSocket messages sent"),), 0)
        )
    if record.generator == PYTEST:  # a pytest session: every benchmark's rounds
        found.append(
            _Expectation(
                PYTEST,
                (_Count(BENCHMARK_ROUNDS, _benchmark_rounds(record.extra), "benchmark rounds"),),
                record.samples_dropped,
            )
        )
    return found


def _benchmark_rounds(extra: dict[str, Any]) -> int:
    benchmarks = extra.get("benchmarks")
    if not isinstance(benchmarks, dict):
        return 0
    rounds = [b.get("rounds") for b in benchmarks.values() if isinstance(b, dict)]
    return sum(r for r in rounds if isinstance(r, int) and not isinstance(r, bool))


def _ws_messages_sent(summary: Any) -> int | None:
    if not isinstance(summary, dict) or not isinstance(summary.get("messages"), dict):
        return None
    sent = summary["messages"].get("sent")
    return sent if isinstance(sent, int) and not isinstance(sent, bool) else None


def find_losses(client: PrometheusClient, window: RunWindow) -> dict[str, Loss]:
    """Per generator, what is missing from Prometheus; {} when it holds the whole run (or
    the window has no record to compare with). Prometheus errors propagate."""
    if window.record is None:
        return {}
    values = window.placeholders({})
    losses = {}
    for expected in expectations(window.record):
        short = []
        for count in expected.counts:
            query = resolve(last(count.metric, selector()), values)
            series = client.instant(query, window.eval_time)
            held = series[0].value if len(series) == 1 else 0.0
            held = held if math.isfinite(held) else 0.0
            if held < count.expected:
                short.append((held, count))
        if not short and expected.dropped <= 0:
            continue
        said = _held_text(short) if short else "Prometheus holds the run's totals"
        if expected.dropped > 0:
            said += f"; the generator dropped {expected.dropped} samples it could not push"
        losses[expected.generator] = Loss(expected.generator, said)
    return losses


def _held_text(short: list[tuple[float, _Count]]) -> str:
    """'Prometheus holds 147 of the run's 657 requests and 0 of its 198 failures'."""
    parts = [
        f"{held:.0f} of {whose} {count.expected} {count.noun}"
        for whose, (held, count) in zip(("the run's", *["its"] * len(short)), short, strict=False)
    ]
    return "Prometheus holds " + " and ".join(parts)


def loss_for(objective: Objective, losses: dict[str, Loss]) -> Loss | None:
    """The loss that makes this objective's Prometheus data partial, if any. A raw query
    scoped to the run (`$testid`) reads pushed data of unknown origin: any loss counts."""
    if not losses:
        return None
    needed = reads_from(objective)
    if not needed:
        text = objective.query or ""
        return next(iter(losses.values())) if "testid" in text else None
    return next((losses[g] for g in needed if g in losses), None)
