"""What `--perfstack` does to a pytest session: one run (testid) for the whole session,
a pusher to Prometheus, each benchmark's results pushed as it ends, and a run record at
the end like `perfstack run`'s, so `perfstack gate check --testid` judges it unchanged.

The pusher runs no threads: it sends from pytest's own thread after each test's call
phase and at the end of the session. A background snapshot every second would take the
GIL from the benchmarks being measured in this very process.
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
from perfstack.core.state import default_state_dir, state_dir_argument
from perfstack.push.config import PushConfig
from perfstack.push.pusher import RemoteWritePusher
from perfstack.pytest_plugin.session import GENERATOR, SESSION_KEY, PytestSession

log = logging.getLogger("perfstack.pytest_plugin")

DEFAULT_SUITE = "pytest"
PUSH_TIMEOUT = 5.0  # per push after a test; the final push at the end gets the pusher's own


def _option(config: pytest.Config, name: str) -> Any:
    return config.getoption(name, None)


def build_session(config: pytest.Config) -> PytestSession:
    """The session's run from the options (or, on a pytest-xdist worker, the controller's)."""
    worker: dict[str, Any] = getattr(config, "workerinput", {})
    try:
        state_option = _option(config, "perfstack_state_dir")
        state_dir = (
            state_dir_argument(state_option) if state_option else default_state_dir()
        ).resolve()
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
    except Exception as error:  # argparse-style type errors from the state dir check
        raise pytest.UsageError(f"perfstack: --perfstack-state-dir: {error}") from None
    return session


def start(config: pytest.Config) -> PytestSession:
    session = build_session(config)
    config.stash[SESSION_KEY] = session
    return session


def test_called(session: PytestSession, item: pytest.Item, report: pytest.TestReport) -> None:
    """After a test's call phase: push what it added (benchmark results, fixtures' figures)."""
    session.push(PUSH_TIMEOUT)


def finish(config: pytest.Config, session: PytestSession, exitstatus: int) -> Path | None:
    """Last push, stale markers, and (on the controller, not on xdist workers) the record."""
    end = time.time()
    pusher = session.pusher
    if pusher is not None:
        pusher.stop()
    if hasattr(config, "workerinput"):
        return None
    stats = pusher.stats if pusher is not None else None
    record = RunRecord(
        testid=session.testid,
        scenario=session.suite,
        generator=GENERATOR,
        target="",
        start=session.start,
        end=end,
        generators=[session.labels["instance"]],
        samples_dropped=stats.dropped_total if stats is not None else 0,
        prometheus_url=session.prometheus_url,
        exit_status=COMPLETED,
        exit_code=exitstatus,
        extra=dict(session.extra),
    )
    state_dir = session.state_dir
    return write_record(state_dir, joined_with_existing(state_dir, record))
