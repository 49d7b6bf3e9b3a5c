"""Keeps Python's cyclic garbage collector off the objects that live for the whole run.

Once Locust, the plugin and the locustfile are imported and set up, a Locust process holds
about 70,000 container objects (modules, classes, functions, the environment); plain Locust
about 55,000. Every full (generation 2) collection walks all of them, and a run at a
thousand requests per second triggers one every few seconds (the objects of requests in
flight survive the young collections), each costing 30-80 ms of CPU here: 1-3% of the
generator's CPU, the plugin's imports making it dearer than plain Locust's. Moving them to
the permanent generation once, when the test starts (before the first user), leaves full
collections only the objects created since. Locust does the same before it forks its
`--processes`. Frozen objects are still freed by reference counting; only a reference
cycle among them would outlive the run, and the collection just before freezing clears
those made during start-up.
"""

from __future__ import annotations

import gc

_frozen = False


def freeze_startup_objects() -> bool:
    """Collect once, then move every object alive to the permanent generation; once per
    process (True the time it froze)."""
    global _frozen
    if _frozen:
        return False
    _frozen = True
    gc.collect()
    gc.freeze()
    return True
