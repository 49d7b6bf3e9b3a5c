"""Cardinality guard for the request `name` label.

Locust uses the URL path as the name when a task gives none, so a test that
requests `/items/<id>` would create one series per id. The guard admits the first
`cap` distinct names and maps every later one to `_other_`, counting each overflow.
"""

from __future__ import annotations

from collections.abc import Callable

OVERFLOW_NAME = "_other_"
DEFAULT_MAX_NAMES = 200


class NameGuard:
    def __init__(
        self, cap: int = DEFAULT_MAX_NAMES, on_overflow: Callable[[int], object] | None = None
    ):
        if cap < 1:
            raise ValueError(f"name cap must be at least 1, got {cap}")
        self.cap = cap
        self._admitted: set[str] = set()
        self._on_overflow = on_overflow
        self.overflow_count = 0

    def resolve(self, name: str, count: int = 1) -> str:
        """The label value to record `count` requests named `name` under (0: just look up)."""
        if name in self._admitted:
            return name
        if len(self._admitted) < self.cap:
            self._admitted.add(name)
            return name
        if count:
            self.overflow_count += count
            if self._on_overflow is not None:
                self._on_overflow(count)
        return OVERFLOW_NAME

    @property
    def admitted(self) -> frozenset[str]:
        return frozenset(self._admitted)
