"""The 5-minute steady run: started first in the session, judged last.

A leak detector that flags a healthy service is one nobody keeps switched on, so a steady
run with no leak (normal allocation and GC noise) must not be flagged over 5 minutes. Five
minutes of wall time does not fit a test budget, but it does fit *beside* the rest of the
suite: `test_steady_run_starts` is moved to the very start of the session (it starts the
demo target under light load and an exporter pushing into the shared stack), and
`test_steady_run_not_flagged` to the very end, where it waits only for whatever part of
the 5 minutes the rest of the session did not already take.
`PERFSTACK_STEADY_SECONDS` shortens it for local iterations.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.exporters.leak_rules import watch
from tests.exporters.steady import SteadyRun
from tests.fixtures.demo_target import start_demo_target

FIRST = "test_steady_run_starts"
LAST = "test_steady_run_not_flagged"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    first = [item for item in items if item.name == FIRST]
    last = [item for item in items if item.name == LAST]
    if first and last:
        rest = [item for item in items if item.name not in (FIRST, LAST)]
        items[:] = first + rest + last


@pytest.fixture(scope="session")
def steady_run(stack: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SteadyRun]:
    target = start_demo_target(Path(tmp_path_factory.mktemp("steady-target")))
    testid = f"steady-{uuid.uuid4().hex[:8]}"
    watched = watch(target.pid, stack.remote_write_url, testid, "steady")
    run = SteadyRun(target, watched, time.time(), testid)
    loader = threading.Thread(target=run.load, name="steady-load", daemon=True)
    loader.start()
    yield run
    run.stop.set()
    loader.join(10)
    watched.stop()
    target.stop()
