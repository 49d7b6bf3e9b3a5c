"""perfstack's pytest fixtures (entry point `pytest11` `perfstack_fixtures`; docs/pytest.md):

- `perfstack_load(locustfile, host=..., ...)` runs a locustfile or scenario as `perfstack
  run` does, judges it as `perfstack gate check` does and returns the run (testid, record,
  verdict). Works with or without `--perfstack` (without: the Prometheus and state
  directory `perfstack run` would use).
- `perfstack_memory` measures the test process's RSS, tracemalloc peak and GC collections
  over the test; with `--perfstack` they are pushed as series of the session's run.
  Without it they are measured all the same and kept in the test's `user_properties`.
- `perfstack_gate(rules, ...)` judges a rule file against the session's testid, over the
  session so far. It needs `--perfstack` and skips (with the reason) without it.

This module is loaded in every pytest run of anyone who installs perfstack: it imports
nothing heavy at import time (the fixtures import what they use when a test asks for them),
and defines no hook and no autouse fixture, so a test that uses none of them pays nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

if TYPE_CHECKING:
    from perfstack.pytest_plugin.load import LoadRun
    from perfstack.pytest_plugin.memory import MemoryCollector, MemoryMonitor
    from perfstack.pytest_plugin.session import PytestSession
    from perfstack.pytest_plugin.verdict import Verdict

T = TypeVar("T")
REPORT_SECTION = "perfstack gate"
_MEMORY_COLLECTOR = pytest.StashKey["MemoryCollector"]()


def _session(config: pytest.Config) -> PytestSession | None:
    from perfstack.pytest_plugin.session import current_session

    return current_session(config)


def _explain(node: pytest.Item, verdict: Verdict, what: str) -> None:
    """The gate's table under the test's report (pytest shows it when the test fails)."""
    node.add_report_section("call", REPORT_SECTION, f"{what}\n{verdict.explanation}")


def _calling(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """function(...), but a PerfstackError (bad locustfile, rule file, flag) fails the test
    with its one line instead of a traceback through perfstack's code."""
    from perfstack.core.errors import PerfstackError

    try:
        return function(*args, **kwargs)
    except PerfstackError as error:
        failure = f"perfstack: error: {error.message} (exit code {int(error.exit_code)})"
    pytest.fail(failure, pytrace=False)  # outside the except: no "during handling" chain


@pytest.fixture
def perfstack_load(request: pytest.FixtureRequest) -> Callable[..., LoadRun]:
    """`perfstack_load(locustfile, host=URL, scenario=None, users=5, duration="10s",
    rules=None, variables=None, ...)` -> LoadRun(testid, record, verdict, locust_log).

    `assert run.verdict.passed` fails with the gate's reasons; the gate's whole table is
    the report section "perfstack gate". Arguments: see perfstack.pytest_plugin.load.run_load.
    """
    session = _session(request.config)
    node = request.node

    def load(locustfile: str | Path, host: str, **options: Any) -> LoadRun:
        from perfstack.pytest_plugin.load import run_load

        if session is not None:
            options.setdefault("prometheus", session.prometheus_url)
            options.setdefault("state_dir", session.state_dir)
        run = _calling(run_load, locustfile, host, **options)
        node.user_properties.append(("perfstack_load_testid", run.testid))
        _explain(node, run.verdict, f"load run {run.testid} ({run.record.exit_status})")
        return run

    return load


@pytest.fixture
def perfstack_memory(request: pytest.FixtureRequest) -> Iterator[MemoryMonitor]:
    """A started MemoryMonitor: `rss`, `rss_peak`, `rss_growth`, `tracemalloc_peak` (bytes),
    `gc_collections` ({generation: count}), all since the test's start."""
    from perfstack.pytest_plugin.memory import MemoryCollector, MemoryMonitor

    session = _session(request.config)
    collector: MemoryCollector | None = None
    if session is not None:
        collector = request.config.stash.get(_MEMORY_COLLECTOR, None)
        if collector is None:
            collector = MemoryCollector()
            session.registry.register(collector)
            request.config.stash[_MEMORY_COLLECTOR] = collector
    publish = session.push if session is not None else None
    monitor = MemoryMonitor(request.node.nodeid, publish=publish).start()
    if collector is not None:
        collector.watch(monitor)
    try:
        yield monitor
    finally:
        figures = monitor.stop()
        request.node.user_properties.extend(figures.user_properties())
        if collector is not None and session is not None:
            collector.finish(figures)
            session.push()  # the final figures now, not at the next interval


@pytest.fixture
def perfstack_gate(request: pytest.FixtureRequest) -> Callable[..., Verdict]:
    """`perfstack_gate(rules, variables=None, gate_args=(), strict=False)` -> Verdict for
    the session's testid, over the session from its start until now (what was pushed so
    far is flushed first). Skips without `--perfstack`: there is no session run to judge."""
    session = _session(request.config)
    if session is None:
        pytest.skip("perfstack_gate judges the session's run: run pytest with --perfstack")
    node = request.node

    def judge_session(
        rules: str | Path,
        variables: Mapping[str, str] | None = None,
        gate_args: Sequence[str] = (),
        strict: bool = False,
        settle: float = 0.5,
    ) -> Verdict:
        from perfstack.pytest_plugin.verdict import judge, wait_for_settle

        session.push()
        end = time.time()
        wait_for_settle(end, settle)
        argv = ["--rules", str(rules), "--testid", session.testid]
        argv += ["--start", f"{session.start:.3f}", "--end", f"{end:.3f}"]
        argv += ["--scenario", session.suite, "--settle", f"{settle:g}"]
        argv += ["--state-dir", str(session.state_dir), "--prometheus", session.prometheus_url]
        for name, value in (variables or {}).items():
            argv += ["--var", f"{name}={value}"]
        verdict = _calling(judge, [*argv, *gate_args], strict=strict)
        _explain(node, verdict, f"session run {session.testid} so far")
        return verdict

    return judge_session
