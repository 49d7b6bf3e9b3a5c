"""The pytest entry point (`pytest11`: perfstack = perfstack.pytest_plugin.plugin).

Installing perfstack must not change anyone's test run: without `--perfstack` this module
only declares its options and the markers perfstack users' suites carry (so
`--strict-markers` suites keep working), and imports nothing heavy. With `--perfstack` the
session's run starts (perfstack.pytest_plugin.lifecycle, imported then) and pytest-benchmark
results are pushed to Prometheus as each benchmark ends (docs/pytest.md).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

from perfstack.pytest_plugin.session import current_session

MARKERS = {
    "performance": "a performance test (select with -m performance)",
    "load_test": "runs load against a target (perfstack_load)",
    "websocket_test": "exercises WebSocket connections",
    "memory_test": "watches memory (RSS, tracemalloc, GC) over the test (perfstack_memory)",
    "slow": "takes more than ~20 s of wall time",
    "regression": "compares against a saved baseline",
}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("perfstack", "perfstack: results into Prometheus (docs/pytest.md)")
    group.addoption(
        "--perfstack",
        action="store_true",
        default=False,
        help="push this session's results (pytest-benchmark stats, fixtures' figures) to "
        "Prometheus under one testid and write a run record for `perfstack gate check`",
    )
    group.addoption(
        "--perfstack-prometheus-url",
        metavar="URL",
        help="Prometheus base URL (default: $PERFSTACK_PROMETHEUS_URL, else the local "
        "stack's, else http://127.0.0.1:9090)",
    )
    group.addoption(
        "--perfstack-testid",
        metavar="TESTID",
        help="run id (default: <suite>-<UTC time>-<4 hex>)",
    )
    group.addoption(
        "--perfstack-suite",
        metavar="NAME",
        help="the run's suite, its `scenario` and `suite` labels (default: pytest)",
    )
    group.addoption(
        "--perfstack-state-dir",
        metavar="DIR",
        help="state directory for the run record (default: $PERFSTACK_STATE_DIR or ./.perfstack)",
    )


def pytest_configure(config: pytest.Config) -> None:
    for name, description in MARKERS.items():
        config.addinivalue_line("markers", f"{name}: {description}")
    if not config.getoption("perfstack", False):
        return
    from perfstack.pytest_plugin import lifecycle  # only with --perfstack

    lifecycle.start(config)
    # the per-test and end-of-session hooks exist only in a --perfstack session: a run
    # without it calls none of our code per test
    config.pluginmanager.register(RunHooks(), "perfstack-run")


class RunHooks:
    """Hooks of a --perfstack session, registered by pytest_configure."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        session = current_session(item.config)
        if call.when == "call" and session is not None:
            from perfstack.pytest_plugin import lifecycle

            lifecycle.test_called(session, item, report)
        return report

    @pytest.hookimpl(trylast=True)  # after session-scoped fixtures were torn down (and pushed)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        run = current_session(session.config)
        if run is None:
            return
        from perfstack.pytest_plugin import lifecycle

        lifecycle.finish(session.config, run, int(exitstatus))

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """pytest-xdist: every worker joins the controller's run (one testid per session)."""
        session = current_session(node.config)
        if session is not None:
            node.workerinput["perfstack_testid"] = session.testid
            node.workerinput["perfstack_suite"] = session.suite
            node.workerinput["perfstack_start"] = session.start

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist: a worker's dropped samples and benchmarks join the controller's
        record."""
        session = current_session(node.config)
        if session is not None:
            from perfstack.pytest_plugin import lifecycle

            lifecycle.worker_finished(session, getattr(node, "workeroutput", {}))
