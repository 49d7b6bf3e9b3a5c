"""Everything the running target holds: knobs, stall, leak, items, cache, metrics."""

from __future__ import annotations

import random
from collections.abc import Mapping
from typing import Any

from demo.items import ItemStore, LruCache
from demo.knobs import KNOB_NAMES, Knobs, parse_knobs
from demo.latency import LatencyDistribution
from demo.leak import Leak
from demo.metrics import DemoMetrics
from demo.stall import Stall


class DemoState:
    def __init__(
        self,
        knobs: Knobs,
        metrics: DemoMetrics,
        *,
        rng: random.Random | None = None,
        stall_seconds: float = 0.0,
        seed_items: int = 100,
    ) -> None:
        self.metrics = metrics
        self.rng = rng or random.Random()
        self.stall = Stall()
        self.leak = Leak()
        self.items = ItemStore(seed_items)
        self.cache = LruCache(knobs.cache_size)
        self.ws_open = 0
        self.initial_stall_seconds = stall_seconds
        self.knobs = knobs
        self.distribution = LatencyDistribution.parse(knobs.latency_distribution)
        metrics.leaked_bytes.set_function(lambda: self.leak.retained_bytes)
        metrics.stalled.set_function(lambda: 1.0 if self.stall.remaining() > 0 else 0.0)
        self._publish_knobs()

    def apply(self, changes: Mapping[str, Any]) -> None:
        """Validate then apply knob changes; nothing changes when one value is bad."""
        parsed = parse_knobs(changes)
        stall = parsed.pop("stall_seconds", None)
        self.knobs = self.knobs.updated({k: v for k, v in parsed.items() if k in KNOB_NAMES})
        self.distribution = LatencyDistribution.parse(self.knobs.latency_distribution)
        self.cache.resize(self.knobs.cache_size)
        if stall is not None:
            self.stall.start(stall)
        self._publish_knobs()

    def snapshot(self) -> dict[str, Any]:
        return {
            **self.knobs.as_dict(),
            "stall_seconds": round(self.stall.remaining(), 3),
            "leaked_bytes": self.leak.retained_bytes,
            "ws_connections_open": self.ws_open,
            "items": len(self.items),
        }

    def _publish_knobs(self) -> None:
        for name, value in self.knobs.as_dict().items():
            if isinstance(value, int | float):
                self.metrics.knob.labels(name).set(value)
