"""Builds the run record from what the plugin's master (or standalone process) holds at quit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

from loadgen.annotations import grafana_url
from loadgen.locust.arrival_run import ArrivalRun
from loadgen.locust.names import AgreedNames, NameGuard
from loadgen.locust.recorder import RequestRecorder, keyed
from loadgen.locust.run_end import ending, plan_of
from loadgen.locust.settings import PluginSettings
from loadgen.locust.swarms import Swarms
from perfstack.core.identity import RunIdentity
from perfstack.core.record import NameStats, RunRecord
from perfstack.metrics.health import GeneratorHealth
from perfstack.push.pusher import RemoteWritePusher

if TYPE_CHECKING:
    from locust.env import Environment  # importing locust patches the standard library


class FinishedRun(Protocol):
    """What the record is built from: the plugin's state at quit (PluginRun has it all)."""

    environment: Environment
    settings: PluginSettings
    role: str
    identity: RunIdentity | None
    start: float | None
    end: float | None
    peak_users: int
    recorder: RequestRecorder
    guard: NameGuard | AgreedNames
    health: GeneratorHealth
    pusher: RemoteWritePusher | None
    worker_reports: dict[str, dict[str, Any]]
    swarms: Swarms
    arrival: ArrivalRun | None  # read with getattr: optional


def build_record(run: FinishedRun, exit_code: int) -> RunRecord:
    assert run.identity is not None and run.start is not None
    stats = run.environment.stats
    names, overall = run.recorder.summary()
    reports = run.worker_reports.values()
    own_dropped = run.pusher.stats.dropped_total if run.pusher else 0
    errors = dict(run.recorder.errors_by_type)
    name_overflow = run.guard.overflow_count + sum(int(r.get("name_overflow", 0)) for r in reports)
    decided_alone = sum(int(r.get("names_decided_alone", 0)) for r in reports)
    instances = [run.identity.instance] if run.role == "local" else sorted(run.worker_reports)
    swarms = run.swarms
    status, message = ending(
        plan_of(run.environment), swarms.last_stopped_by, swarms.load_before_stop
    )
    playing = getattr(run, "arrival", None)  # absent from runs built before arrival stages
    arrival = playing.summary(own=run.role == "local") if playing is not None else None
    overall_corrected = run.recorder.overall_corrected()
    record = RunRecord(
        testid=run.identity.testid,
        scenario=run.identity.scenario,
        generator="locust",
        target=run.environment.host or "",
        start=run.start,
        end=run.end,
        generators=instances,
        users=run.peak_users,
        # the whole run, like every other figure here: Locust's own totals restart with
        # --reset-stats, the web UI's reset, and a stopped test started again
        requests=sum(int(values["requests"]) for values in names.values()),
        failures=sum(int(values["failures"]) for values in names.values()),
        errors_by_type=errors,
        names={name: NameStats.from_json(values) for name, values in names.items()},
        percentiles=overall,
        histogram=run.recorder.overall().bins(),
        corrected_percentiles=keyed(overall_corrected.percentiles())
        if overall_corrected is not None
        else {},
        dropped_iterations=int(arrival["dropped"]) if arrival else 0,
        name_overflow=name_overflow,
        samples_dropped=own_dropped + sum(int(r.get("samples_dropped", 0)) for r in reports),
        generator_saturated=run.health.was_saturated
        or any(bool(r.get("saturated")) for r in reports)
        or bool(arrival and arrival["saturated"]),
        prometheus_url=run.settings.prometheus_url,
        grafana_url=grafana_url(run.settings.state_dir),
        exit_status=status,
        exit_code=exit_code,
        message=message,
        swarms=swarms.to_json(),
        extra={
            "locust_exit_code": exit_code,
            "role": run.role,
            "locust_requests": int(stats.total.num_requests) if stats else 0,
            "locust_failures": int(stats.total.num_failures) if stats else 0,
            # the master admits names for all workers; a worker that had no answer in
            # time decided alone, and its per-name figures may then disagree with the others'
            "names_decided_alone": decided_alone,
            "names_partial": decided_alone > 0,
        },
    )
    if arrival is not None:
        record.extra["arrival"] = arrival
    own = run.pusher.stats if run.pusher else None
    for key, mine in (
        ("store_refused", own.refused if own else None),
        ("store_answer_unexpected", own.unexpected_answer if own else None),
    ):
        # one process's answer names the store's reason: they all pushed to the same store
        found = mine or next((r[key] for r in reports if r.get(key)), None)
        if found:
            record.extra[key] = str(found)
    return record
