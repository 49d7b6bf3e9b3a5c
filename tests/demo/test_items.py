"""The item store and the LRU cache in front of item lookups."""

from __future__ import annotations

from demo.items import ItemStore, LruCache


def test_store_seeds_creates_and_pages() -> None:
    store = ItemStore(seed_items=3)
    assert len(store) == 3
    created = store.create({"name": "new", "colour": "red"})
    assert created == {"name": "new", "colour": "red", "id": 4}
    assert store.get(4) == created and store.get(99) is None
    assert [item["id"] for item in store.page(offset=1, limit=2)] == [2, 3]


def test_lru_evicts_the_least_recently_used() -> None:
    cache = LruCache(capacity=2)
    cache.put(1, {"id": 1})
    cache.put(2, {"id": 2})
    assert cache.get(1) == {"id": 1}  # 1 is now the most recent
    cache.put(3, {"id": 3})
    assert cache.get(2) is None and cache.get(1) is not None and cache.get(3) is not None


def test_resize_shrinks_and_zero_caches_nothing() -> None:
    cache = LruCache(capacity=5)
    for key in range(5):
        cache.put(key, {"id": key})
    cache.resize(2)
    assert len(cache) == 2 and cache.get(4) is not None and cache.get(0) is None
    cache.resize(0)
    cache.put(9, {"id": 9})
    assert len(cache) == 0 and cache.get(9) is None
