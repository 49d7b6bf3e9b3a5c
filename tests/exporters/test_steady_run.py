"""A steady run with no leak is not flagged (runs across the session: see conftest.py)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from perfstack.testing import prom_query
from tests.exporters.leak_rules import LEAK_RULE, for_testid, rule_expr
from tests.exporters.steady import STEADY_SECONDS, SteadyRun
from tests.helpers import wait_until

WARM_UP_SECONDS = 60  # the rule judges the last minute; the target's first one is start-up


def test_steady_run_starts(steady_run: SteadyRun, stack: Any) -> None:
    rss = f'exporter_target_resident_memory_bytes{{testid="{steady_run.testid}"}}'
    wait_until(lambda: prom_query(stack.prometheus_url, rss), timeout=20)


@pytest.mark.slow(seconds=STEADY_SECONDS, idle=True)  # waits: its worker runs others meanwhile
@pytest.mark.timeout(STEADY_SECONDS + 120)
def test_steady_run_not_flagged(steady_run: SteadyRun, stack: Any) -> None:
    remaining = steady_run.started + STEADY_SECONDS - time.time()
    if remaining > 0:
        time.sleep(remaining)
    url, testid = stack.prometheus_url, steady_run.testid
    judged = int(time.time() - steady_run.started - WARM_UP_SECONDS)
    rss = f'exporter_target_resident_memory_bytes{{testid="{testid}"}}'
    samples = for_testid(prom_query(url, f"count_over_time({rss}[{judged}s])"), testid)
    assert samples and samples[0] >= judged * 0.8, f"exporter pushed too little: {samples}"
    assert steady_run.requests > judged * 5, "the load that makes the GC noise did not run"

    flagged = prom_query(url, f"max_over_time(({rule_expr(LEAK_RULE)})[{judged}s:1s])")
    assert for_testid(flagged, testid) == [0.0]  # evaluated (not empty) and never 1

    slope = f"max by (testid) (deriv({rss}[1m]))"
    peak = for_testid(prom_query(url, f"max_over_time(({slope})[{judged}s:1s])"), testid)
    growth = for_testid(
        prom_query(url, f"max_over_time({rss}[{judged}s]) - min_over_time({rss}[{judged}s])"),
        testid,
    )
    print(
        f"steady run: {judged} s judged, {steady_run.requests} requests, never flagged; "
        f"max 1m slope {peak[0]:.0f} B/s, RSS range {growth[0] / 1e6:.1f} MB"
    )
