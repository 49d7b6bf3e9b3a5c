"""A random heap layout for each Locust process of the HTTP overhead benches.

Where CPython's allocator puts the objects Locust touches on every request decides how
many cache lines and pages a request uses, and that placement follows from everything the
process allocated before. With one fixed layout per variant, changes that run no code per
request moved a Locust process's requests per CPU-second (side by side, 16 rounds): a
longer PYTHONPATH +0.7%, fifty small dicts kept alive +0.6%, the plugin's eleven
command-line arguments +1.1-1.7%, with the same calls and instructions per request. Two
variants compared that way compare two particular layouts as well as two programs.

So each process first takes a random number of blocks from every pymalloc size class
(where the next small objects land inside their pools), a random number of small objects
of random sizes, and one large block of random size (where the next malloc() blocks
land), and keeps them. Each round then draws new layouts, and the median over rounds
compares the programs. This is setup randomisation as in Mytkowicz et al., "Producing
wrong data without doing anything obviously wrong!" (ASPLOS 2009) and Curtsinger and
Berger, "Stabilizer" (ASPLOS 2013), done from Python at start-up instead of by
re-randomising the allocator throughout the run.
"""

from __future__ import annotations

import random
import sys

POOL_BYTES = 16 * 1024  # pymalloc's pool since CPython 3.10
SMALL_LIMIT = 512  # larger requests go to malloc()
SIZE_CLASS = 16  # pymalloc's alignment on 64-bit builds
BYTES_HEADER = sys.getsizeof(b"")
MIXED_OBJECTS = 2000  # at most, of random small sizes
LARGE_SPREAD = 64 * 1024  # below glibc's mmap threshold: shifts the brk heap


def block(size_class: int, rng: random.Random) -> object:
    """A fresh object taking one block of `size_class` bytes from pymalloc."""
    if size_class == 16:
        return object()
    if size_class == 32:
        return rng.randrange(1 << 10, 1 << 30)  # one 30-bit digit: 28 bytes, never cached
    return bytes(size_class - BYTES_HEADER)


def shift_heap(rng: random.Random) -> list[object]:
    """Allocate and return the objects that shift later allocations; keep them alive."""
    kept: list[object] = []
    for size_class in range(SIZE_CLASS, SMALL_LIMIT + 1, SIZE_CLASS):
        per_pool = POOL_BYTES // size_class
        kept.extend(block(size_class, rng) for _ in range(rng.randrange(2 * per_pool)))
    mixed = rng.randrange(MIXED_OBJECTS)
    kept.extend(bytes(rng.randrange(SMALL_LIMIT - BYTES_HEADER)) for _ in range(mixed))
    kept.append(bytearray(rng.randrange(LARGE_SPREAD)))
    return kept
