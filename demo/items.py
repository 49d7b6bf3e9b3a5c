"""The in-memory item collection and the LRU cache in front of single-item lookups."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

Item = dict[str, Any]


class ItemStore:
    def __init__(self, seed_items: int = 100) -> None:
        self._items: dict[int, Item] = {}
        self._next_id = 1
        for number in range(seed_items):
            self.create({"name": f"item-{number + 1}"})

    def create(self, fields: dict[str, Any]) -> Item:
        item = {**fields, "id": self._next_id}
        self._items[self._next_id] = item
        self._next_id += 1
        return item

    def get(self, item_id: int) -> Item | None:
        return self._items.get(item_id)

    def page(self, offset: int, limit: int) -> list[Item]:
        ids = sorted(self._items)[offset : offset + limit]
        return [self._items[i] for i in ids]

    def __len__(self) -> int:
        return len(self._items)


class LruCache:
    """Least-recently-used cache; capacity 0 caches nothing (every lookup misses)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[int, Item] = OrderedDict()

    def resize(self, capacity: int) -> None:
        self.capacity = capacity
        self._evict()

    def get(self, key: int) -> Item | None:
        item = self._entries.get(key)
        if item is not None:
            self._entries.move_to_end(key)
        return item

    def put(self, key: int, item: Item) -> None:
        self._entries[key] = item
        self._entries.move_to_end(key)
        self._evict()

    def _evict(self) -> None:
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
