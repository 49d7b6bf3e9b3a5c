"""The start-up objects leave the collector's generations once, cyclic garbage first."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

# in a child: freezing is once per process and would freeze this test process's objects
CHILD = """
import gc, weakref
from loadgen.locust.heap import freeze_startup_objects

class Node:
    pass

kept = [[number] for number in range(5000)]
cycle = Node()
cycle.me = cycle
dead = weakref.ref(cycle)
del cycle
gc.disable()  # nothing collects the cycle but the freeze's own collection
before = gc.get_freeze_count()
print(freeze_startup_objects(), freeze_startup_objects())
ids = {id(o) for o in gc.get_objects()}
print(gc.get_freeze_count() - before >= len(kept), any(id(o) in ids for o in kept), dead() is None)
"""


def test_start_up_objects_are_frozen_once_and_cyclic_garbage_is_collected_first() -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, check=True
    )
    first, second = done.stdout.splitlines()
    assert first == "True False"  # frozen the first time only
    # every kept list is out of the generations full collections walk; the cycle is gone
    assert second == "True False True"
