"""A bounded memo the request path reads with plain dict lookups.

The hot path must not pay for bookkeeping: a hit is ``table.get(key)``, a dict read (no
Python-level call, no reordering). The bound is kept on insertion instead, by a ring of the
inserted keys: the entry inserted longest ago is the one dropped, in constant time. Under a
flood of new keys that is what least-recently-used would drop too (every entry is new); on
repeat traffic that fits in the memo nothing is ever dropped.

One memo may fill several tables (the policy keeps the answers of each rule in a dict of its
own, so that a request on a known path looks its Origin up directly): the bound is on all of
them together. A dict never gives back the room it grew to when entries leave it, so a table
that has lost three quarters of its most entries is compacted; otherwise a flood through one
rule after another would leave each rule's table at full size, and memory would grow with
the number of rules.
"""

from __future__ import annotations

import threading
from typing import Generic, TypeVar

__all__ = ["Memo"]

K = TypeVar("K")
V = TypeVar("V")


class Memo(Generic[K, V]):
    """At most *size* entries in all of the tables it fills; the oldest insertion is dropped
    first.

    Reads are lock-free (each change to a table is a single dict operation); inserts take a
    lock, so the bound holds with any number of threads.

    :param size: the most entries kept; 0 keeps none.
    """

    __slots__ = ("_count", "_lock", "_next", "_peaks", "_ring", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._ring: list[tuple[dict[K, V], K] | None] = [None] * size
        self._next = 0
        self._count = 0
        self._lock = threading.Lock()
        # The most entries each table has held since it was last compacted, by its identity.
        self._peaks: dict[int, int] = {}

    def __len__(self) -> int:
        return self._count

    def remember(self, table: dict[K, V], key: K, answer: V) -> None:
        """Keep *answer* for *key* in *table*, dropping the oldest entry when full."""
        if self.size == 0:
            return
        with self._lock:
            if key in table:  # another thread answered the same request first
                return
            oldest = self._ring[self._next]
            if oldest is not None:
                del oldest[0][oldest[1]]
                self._count -= 1
                self._compact_if_sparse(oldest[0])
            self._ring[self._next] = (table, key)
            table[key] = answer
            self._count += 1
            self._next = (self._next + 1) % self.size
            if len(table) > self._peaks.get(id(table), 0):
                self._peaks[id(table)] = len(table)

    def _compact_if_sparse(self, table: dict[K, V]) -> None:
        """Give back a table's room once it holds less than a quarter of its most entries.

        The copy costs its live entries, and at least three times as many evictions came
        first: constant time per eviction, amortised. Readers in other threads may miss
        while it is refilled, and answer the request themselves.
        """
        live = len(table)
        if live * 4 < self._peaks.get(id(table), 0):
            kept = dict(table)
            table.clear()  # frees the table's hash table, whatever its size
            table.update(kept)
            self._peaks[id(table)] = live
