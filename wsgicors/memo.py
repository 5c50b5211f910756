"""A bounded memo the request path reads with plain dict lookups.

The hot path must not pay for bookkeeping: a hit is ``table.get(key)``, a dict read (no
Python-level call, no reordering). The bound is kept on insertion instead, by a ring of the
inserted keys: the entry inserted longest ago is the one dropped, in constant time. Under a
flood of new keys that is what least-recently-used would drop too (every entry is new); on
repeat traffic that fits in the memo nothing is ever dropped.

One memo may fill several tables (the policy keeps the answers of each rule in a dict of its
own, so that a request on a known path looks its Origin up directly): the bound is on all of
them together.
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

    __slots__ = ("_count", "_lock", "_next", "_ring", "size")

    def __init__(self, size: int) -> None:
        self.size = size
        self._ring: list[tuple[dict[K, V], K] | None] = [None] * size
        self._next = 0
        self._count = 0
        self._lock = threading.Lock()

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
            self._ring[self._next] = (table, key)
            table[key] = answer
            self._count += 1
            self._next = (self._next + 1) % self.size
