"""A real 1 MB/s leak in the demo target, pushed by the exporter into the real Prometheus.

The rule expressions are queried directly (read from memory.yml), not their recorded
series: Prometheus evaluates rules every 5 s here, which would add up to 5 s to the
measured delay without saying anything about the rule itself.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from perfstack.testing import prom_query
from tests.exporters.leak_rules import LEAK_RULE, THRESHOLD_RULE, for_testid, rule_expr, watch
from tests.helpers import prom_scalar, wait_until


@pytest.mark.slow(seconds=80)
def test_leak_of_1mb_per_second_is_flagged_within_60_seconds(
    stack: Any, demo_target_factory: Any
) -> None:
    url = stack.prometheus_url
    # recorded by the stack's first rule evaluations (every 5 s): proves memory.yml is loaded
    wait_until(lambda: prom_scalar(url, THRESHOLD_RULE) == 262144, timeout=15)
    target = demo_target_factory()
    testid = f"leak-{uuid.uuid4().hex[:8]}"
    watched = watch(target.pid, stack.remote_write_url, testid, "leak-test")
    try:
        rss = f'exporter_target_resident_memory_bytes{{testid="{testid}"}}'
        wait_until(lambda: prom_query(url, rss), timeout=15)
        leak_rule = rule_expr(LEAK_RULE)
        # 35 s of steady history first, so both halves of the rule's minute hold samples
        # and the rule demonstrably says 0 before the leak (not merely "no data").
        time.sleep(35)
        assert for_testid(prom_query(url, leak_rule), testid) == [0.0]
        target.set_knobs(leak_bytes_per_second="1MB")
        leak_started = time.time()

        wait_until(
            lambda: for_testid(prom_query(url, leak_rule), testid) == [1.0], timeout=70, interval=1
        )
        delay = time.time() - leak_started
        assert delay <= 60, f"flagged after {delay:.0f} s"
        # what the rule saw is the knob's rate: the 30 s slope is ~1 MB/s
        slope = prom_scalar(url, f"max(deriv({rss}[30s]))")
        assert slope is not None and 0.7e6 < slope < 1.3e6, slope
        print(f"1 MB/s leak flagged {delay:.1f} s after it started; 30 s slope {slope:.0f} B/s")
    finally:
        watched.stop()
