"""The pusher's bounded queue of snapshots waiting to be sent, oldest first.

Bounded by a number of batches (buffer_seconds / interval): when full, the OLDEST batch
is dropped so that what survives an outage is contiguous and most recent. The batch being
sent is never the one dropped: it may land, and a sample must not be counted both as
sent and as dropped. Thread-safe (works with gevent's patched threading too).
"""

from __future__ import annotations

import threading
from collections import deque

from perfstack.push.snapshot import Batch


class BatchBuffer:
    def __init__(self, max_batches: int) -> None:
        if max_batches < 1:
            raise ValueError("max_batches must be >= 1")
        self.max_batches = max_batches
        self._batches: deque[Batch] = deque()
        self._cond = threading.Condition()
        self._done_seq = 0  # every batch with seq <= this has left the buffer
        self._in_flight: Batch | None = None
        self._closed = False

    def put(self, batch: Batch) -> list[Batch]:
        """Append; returns the batches dropped to make room (oldest first)."""
        dropped: list[Batch] = []
        with self._cond:
            while len(self._batches) >= self.max_batches:
                if self._batches[0] is not self._in_flight:
                    dropped.append(self._batches.popleft())
                elif len(self._batches) > 1:
                    dropped.append(self._batches[1])
                    del self._batches[1]
                else:
                    break  # only the batch in flight is left: hold one more for now
            self._batches.append(batch)
            self._refresh_done()
            self._cond.notify_all()
        return dropped

    def head(self, timeout: float | None) -> Batch | None:
        """The oldest batch, marked in flight until `remove` or `release`.

        Waits up to `timeout` (None: until a batch comes or the buffer is closed).
        """
        with self._cond:
            self._cond.wait_for(lambda: self._batches or self._closed, timeout)
            self._in_flight = self._batches[0] if self._batches else None
            return self._in_flight

    def release(self, batch: Batch) -> None:
        """A send of `batch` failed: it stays queued and may be dropped again."""
        with self._cond:
            if self._in_flight is batch:
                self._in_flight = None

    def remove(self, batch: Batch) -> None:
        """Remove `batch` if it is still queued (it may have been dropped meanwhile)."""
        with self._cond:
            if self._in_flight is batch:
                self._in_flight = None
            if self._batches and self._batches[0] is batch:
                self._batches.popleft()
            elif batch in self._batches:
                self._batches.remove(batch)
            self._refresh_done(batch.seq)
            self._cond.notify_all()

    def drain(self) -> list[Batch]:
        with self._cond:
            batches = list(self._batches)
            self._batches.clear()
            self._in_flight = None
            if batches:
                self._refresh_done(batches[-1].seq)
            self._cond.notify_all()
            return batches

    def wait_done(self, seq: int, timeout: float) -> bool:
        """Wait until every batch up to `seq` has left the buffer (sent or dropped)."""
        with self._cond:
            return self._cond.wait_for(lambda: self._done_seq >= seq, timeout)

    def close(self) -> None:
        """Wake whoever waits in `head`, now and from now on, even with nothing queued."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _refresh_done(self, removed_seq: int = 0) -> None:
        if self._batches:
            self._done_seq = max(self._done_seq, self._batches[0].seq - 1)
        else:
            self._done_seq = max(self._done_seq, removed_seq)

    @property
    def pending_batches(self) -> int:
        with self._cond:
            return len(self._batches)

    @property
    def pending_samples(self) -> int:
        with self._cond:
            return sum(b.samples for b in self._batches)
