import random
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from heap_layout import MIXED_OBJECTS, POOL_BYTES, SIZE_CLASS, SMALL_LIMIT, block, shift_heap

BENCH = Path(__file__).resolve().parents[2] / "bench"


SIZE_CLASSES = range(SIZE_CLASS, SMALL_LIMIT + 1, SIZE_CLASS)


@pytest.mark.parametrize("size_class", SIZE_CLASSES)
def test_each_block_falls_in_its_size_class(size_class: int) -> None:
    size = sys.getsizeof(block(size_class, random.Random(1)))
    assert size_class - SIZE_CLASS < size <= size_class


def test_the_same_seed_keeps_the_same_objects_and_another_seed_others() -> None:
    def shape(seed: int) -> list[int]:
        return [sys.getsizeof(kept) for kept in shift_heap(random.Random(seed))]

    assert shape(7) == shape(7)
    assert shape(7) != shape(8)


def test_takes_up_to_two_pools_per_size_class_and_one_large_block() -> None:
    kept = shift_heap(random.Random(3))
    assert isinstance(kept[-1], bytearray)
    small = [sys.getsizeof(k) for k in kept[:-1]]
    assert all(size <= SMALL_LIMIT for size in small)
    assert len(small) < sum(2 * POOL_BYTES // c for c in SIZE_CLASSES) + MIXED_OBJECTS


def offsets_after_shift(seed: int) -> tuple[int, ...]:
    """Where, inside its pool, a fresh interpreter puts small objects after the shift."""
    program = (
        f"import random, sys\nsys.path.insert(0, {str(BENCH)!r})\n"
        "from heap_layout import shift_heap\n"
        f"kept = shift_heap(random.Random({seed}))\n"
        "fresh = [bytes(100) for _ in range(4)] + [object() for _ in range(4)]\n"
        f"print(*[id(o) % {POOL_BYTES} for o in fresh])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return tuple(int(offset) for offset in done.stdout.split())


def test_later_objects_land_at_different_places_in_their_pools() -> None:
    layouts = {offsets_after_shift(seed) for seed in (11, 12, 13, 14)}
    assert len(layouts) >= 3
