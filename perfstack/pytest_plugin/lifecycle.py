"""What `--perfstack` does to a pytest session: one run (testid) for the whole session,
a pusher to Prometheus, each benchmark's results pushed as it ends, and a run record at
the end like `perfstack run`'s, so `perfstack gate check --testid` judges it unchanged.

The pusher runs no threads: it sends from pytest's own thread after each test's call
phase and at the end of the session. A background snapshot every second would take the
GIL from the benchmarks being measured in this very process.

Under pytest-xdist the controller chooses the testid and start time and hands them to its
workers (plugin.pytest_configure_node); each worker pushes its own benchmarks (its
`instance` label tells them apart) and the controller writes the one record.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import pytest

from perfstack.core.errors import PerfstackError
from perfstack.core.identity import RunIdentity, new_testid, validate_scenario_name, validate_testid
from perfstack.core.record import COMPLETED, RunRecord, joined_with_existing, write_record
from perfstack.core.settings import prometheus_url_default
from perfstack.core.state import default_state_dir
from perfstack.history.labels import run_labels
from perfstack.history.summary import attach_summary, push_run_summary
from perfstack.metrics.benchmarks import BenchmarkMetrics, BenchmarkResult
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from perfstack.pytest_plugin.readiness import check_ready
from perfstack.pytest_plugin.results import ResultError, result_from_entry
from perfstack.pytest_plugin.session import GENERATOR, SESSION_KEY, PytestSession
from perfstack.pytest_plugin.summary import benchmark_summary

log = logging.getLogger("perfstack.pytest_plugin")

DEFAULT_SUITE = "pytest"
# Tests without a benchmark push only this often: enough to keep a long session's series
# fresh in Prometheus' 5-minute lookback, without a request after each of 2000 unit tests
REFRESH_SECONDS = 15.0


def _option(config: pytest.Config, name: str) -> Any:
    return config.getoption(name, None)


def build_session(config: pytest.Config) -> PytestSession:
    """The session's run from the options (on a pytest-xdist worker: the controller's)."""
    worker: dict[str, Any] = getattr(config, "workerinput", {})
    try:
        state_option = _option(config, "perfstack_state_dir")
        state_dir = (Path(state_option) if state_option else default_state_dir()).resolve()
        if state_dir.exists() and not state_dir.is_dir():
            raise PerfstackError(
                f"--perfstack-state-dir {state_option}: expected a directory, found a file"
            )
        suite = validate_scenario_name(
            worker.get("perfstack_suite") or _option(config, "perfstack_suite") or DEFAULT_SUITE
        )
        testid = validate_testid(
            worker.get("perfstack_testid")
            or _option(config, "perfstack_testid")
            or new_testid(suite)
        )
        prometheus_url = (
            _option(config, "perfstack_prometheus_url") or prometheus_url_default(state_dir)
        ).rstrip("/")
        identity = RunIdentity.create(scenario=suite, generator=GENERATOR, testid=testid)
        session = PytestSession(
            testid=testid,
            suite=suite,
            prometheus_url=prometheus_url,
            state_dir=state_dir,
            labels={**identity.labels(), "suite": suite},
            remote_write_url=f"{prometheus_url}/api/v1/write",
            start=float(worker.get("perfstack_start") or time.time()),
        )
        session.pusher = RemoteWritePusher(
            session.registry, PushConfig(url=session.remote_write_url, labels=session.labels)
        )
    except PerfstackError as error:
        raise pytest.UsageError(f"perfstack: {error.message}") from None
    session.benchmarks = BenchmarkMetrics()
    session.registry.register(session.benchmarks)
    return session


def start(config: pytest.Config) -> PytestSession:
    session = build_session(config)
    if not hasattr(config, "workerinput"):  # the controller checked for its workers
        problem = check_ready(session.prometheus_url)
        if problem is not None:
            raise pytest.UsageError(
                f"perfstack: Prometheus at {session.prometheus_url} {problem}; start it with "
                "`perfstack up` or pass --perfstack-prometheus-url"
            )
    config.stash[SESSION_KEY] = session
    return session


def benchmark_of(item: pytest.Item) -> BenchmarkResult | None:
    """The test's pytest-benchmark result, when it ran one that measured something."""
    fixture = getattr(item, "funcargs", {}).get("benchmark")
    metadata = getattr(fixture, "stats", None)
    if metadata is None or not metadata or getattr(fixture, "has_error", False):
        return None
    try:
        return result_from_entry(metadata.as_dict(include_data=True), item.nodeid)
    except ResultError as error:  # pytest-benchmark changed its shape: say so, do not guess
        log.warning("perfstack: benchmark %s not pushed: %s", item.nodeid, error)
        return None


def test_called(session: PytestSession, item: pytest.Item, report: pytest.TestReport) -> None:
    """After a test's call phase: its benchmark result, then a push of all that changed."""
    result = benchmark_of(item)
    benchmarks = session.benchmarks
    if result is not None and benchmarks is not None and not benchmarks.add(result):
        log.warning(
            "perfstack: %s not pushed: more than %d benchmarks in one session",
            item.nodeid,
            benchmarks.max_benchmarks,
        )
    now = time.monotonic()
    if session.pusher is None or (result is None and now - session.pushed_at < REFRESH_SECONDS):
        return
    session.pushed_at = now
    # tick, not flush: a Prometheus gone mid-session is retried with backoff on later
    # tests instead of holding every test for a timeout; stop() sends the backlog
    session.pusher.tick()


def finish(config: pytest.Config, session: PytestSession, exitstatus: int) -> Path | None:
    """Last push, stale markers, and (on the controller, not on xdist workers) the record."""
    end = time.time()
    pusher = session.pusher
    sent = pusher.stop() if pusher is not None else True
    dropped = pusher.stats.dropped_total if pusher is not None else 0
    benchmarks = session.benchmarks
    summary = benchmark_summary(benchmarks.results) if benchmarks is not None else {}
    overflow = benchmarks.overflow if benchmarks is not None else 0
    worker_output = getattr(config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: the controller's record counts it
        worker_output.update(
            perfstack_dropped=dropped, perfstack_benchmarks=summary, perfstack_overflow=overflow
        )
        return None
    dropped += session.workers_dropped
    overflow += session.workers_overflow
    summary = {**session.workers_benchmarks, **summary}
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    say = reporter.write_line if reporter is not None else log.warning
    if not sent or dropped:
        say(
            f"perfstack: WARNING: {dropped} samples of run {session.testid} could not be "
            f"pushed to {session.prometheus_url} (counted in the run record's samples_dropped; "
            "the gate judges nothing on the partial data)"
        )
    if overflow:
        say(f"perfstack: WARNING: {overflow} benchmarks over the cap were not pushed")
    extra = dict(session.extra)
    if summary:
        extra["benchmarks"] = summary
    record = RunRecord(
        testid=session.testid,
        scenario=session.suite,
        generator=GENERATOR,
        target="",
        start=session.start,
        end=end,
        generators=[session.labels["instance"]],
        samples_dropped=dropped,
        name_overflow=overflow,
        prometheus_url=session.prometheus_url,
        exit_status=COMPLETED,
        exit_code=exitstatus,
        extra=extra,
    )
    state_dir = session.state_dir
    # the benchmark means as run summaries (perfstack history), kept in the record too
    summary_labels = run_labels(None)
    attach_summary(record, summary_labels)
    path = write_record(state_dir, joined_with_existing(state_dir, record))
    say(f"perfstack: run {session.testid}, record {path}")
    if summary:
        pushed, detail = push_run_summary(record, session.prometheus_url, summary_labels)
        if not pushed:
            say(f"perfstack: WARNING: run summary not pushed: {detail}")
    return path


def worker_finished(session: PytestSession, output: dict[str, Any]) -> None:
    """An xdist worker's counts, for the controller's record."""
    session.workers_dropped += int(output.get("perfstack_dropped", 0))
    session.workers_overflow += int(output.get("perfstack_overflow", 0))
    session.workers_benchmarks.update(output.get("perfstack_benchmarks", {}))
