"""Which generators a run had, and which objectives read data only a generator it did not
have would produce.

An objective on WebSocket or exporter data says nothing about a run that never started that
generator (the default preset judging an HTTP-only run): it is skipped with a note, the
same way as an objective for another scenario, and a skipped objective is never a pass. A
generator that ran and produced nothing leaves its objectives NO_DATA.

A generator ran when the run record says so (its `generator`, a WebSocket summary in
`extra`) or when Prometheus holds series of the run carrying its `generator` label (the
exporter is in no record). Raw PromQL objectives may read anything and are never skipped.
"""

from __future__ import annotations

from gate.model import Objective
from gate.prometheus import PrometheusClient
from gate.shorthands import SHORTHANDS
from gate.window import RunWindow
from perfstack.core.record import RunRecord

HTTP, WEBSOCKET, EXPORTER, PYTEST = "locust", "ws", "exporter", "pytest"
# not a generator of its own: Locust playing arrival stages (the record's extra.arrival)
ARRIVAL = "arrival"
DESCRIPTIONS = {
    HTTP: "HTTP (Locust) generator",
    WEBSOCKET: "WebSocket generator",
    EXPORTER: "resource exporter",
    PYTEST: "pytest session (pytest --perfstack)",
    ARRIVAL: "arrival-rate (open model) load",
}
# shorthand kind -> the generators whose data it reads (any one of them will do)
_READS = {
    "latency": (HTTP,),
    "errors": (HTTP,),
    "throughput": (HTTP,),
    "websocket": (WEBSOCKET,),
    "memory": (EXPORTER,),
    "cpu": (EXPORTER,),
    "saturation": (HTTP, WEBSOCKET),
    "benchmark": (PYTEST,),
    "arrival": (ARRIVAL,),
}
# pushed by the gate itself under the run's testid: not a generator of the run
_NOT_GENERATORS = ("gate",)


def reads_from(objective: Objective) -> tuple[str, ...]:
    """The generators an objective's data comes from; () for raw PromQL (unknown)."""
    if objective.sli is None:
        return ()
    return _READS.get(SHORTHANDS[objective.sli].kind, ())


def in_record(record: RunRecord | None) -> set[str]:
    if record is None:
        return set()
    ran = {record.generator}
    if "ws" in record.extra or "ws_error" in record.extra:  # `perfstack run` with a WS part
        ran.add(WEBSOCKET)
    if "arrival" in record.extra:
        ran.add(ARRIVAL)
    return ran


def in_prometheus(client: PrometheusClient, window: RunWindow) -> set[str]:
    """`generator` label values on the run's series between its start and the evaluation."""
    values = client.label_values(
        "generator", f'{{testid="{window.testid}"}}', window.start, window.eval_time
    )
    return {value for value in values if value not in _NOT_GENERATORS}


def skip_reason(objective: Objective, ran: set[str], window: RunWindow) -> str | None:
    """Why the objective is not judged for this run, or None when it is."""
    needed = reads_from(objective)
    if not needed or ran & set(needed):
        return None
    wanted = " or ".join(DESCRIPTIONS[g] for g in needed)
    had = ", ".join(sorted(ran)) or "none"
    return (
        f"no {wanted} in run {window.testid} (generators: {had}; from the run record and "
        "the generator label of its series)"
    )
