"""Answers of ``allow_origin_func``: cached for a while, asked once at a time, never unbounded.

A rule's function is asked about an origin only after the strict parser accepted it and no
static entry matched. Each middleware keeps one :class:`OriginFuncAnswers`:

- answers (yes, no, and failures) are kept for the rule's ``allow_origin_func_ttl`` seconds, in
  a bounded LRU whose size is part of the middleware's one memo budget;
- concurrent requests for the same unanswered origin wait for one call instead of making many;
- at most :data:`MAX_CALLS_PER_SECOND` calls start in any second, so a flood of unique origins
  turns into at most that many calls: the requests beyond it are refused without asking;
- a function that raises or answers something other than a bool refuses that request; the
  error is logged once per origin per TTL (the failure is cached like an answer).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import TYPE_CHECKING, Final, Literal

from wsgicors._http import for_log

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["MAX_CALLS_PER_SECOND", "OriginFuncAnswers"]

#: How many calls to ``allow_origin_func`` may start in one second, per middleware.
MAX_CALLS_PER_SECOND: Final = 100
# How long a request waits for another thread's call about the same origin.
_WAIT_SECONDS: Final = 10.0

logger = logging.getLogger("wsgicors")

#: ``True`` or ``False`` from the function; ``"failed"`` when it raised or answered something
#: else; ``"throttled"`` when the call budget of this second was spent.
Answer = bool | Literal["failed", "throttled"]


class OriginFuncAnswers:
    """The cached answers of every ``allow_origin_func`` of one middleware.

    :param size: how many answers are kept at most (all rules together).
    :param clock: a monotonic clock in seconds (tests pass a fake one).
    :param wait: how long a request waits, in seconds, for another thread's call about the
        same origin before it is refused.
    """

    def __init__(
        self,
        size: int,
        clock: Callable[[], float] = time.monotonic,
        wait: float = _WAIT_SECONDS,
    ) -> None:
        self._size = max(size, 1)
        self._clock = clock
        self._wait = wait
        self._lock = threading.Lock()
        self._answers: OrderedDict[tuple[str, str], tuple[float, Answer]] = OrderedDict()
        self._pending: dict[tuple[str, str], threading.Event] = {}
        self._second = 0
        self._calls_this_second = 0

    def __len__(self) -> int:
        return len(self._answers)

    def ask(self, label: str, func: Callable[[str], object], ttl: float, origin: str) -> Answer:
        """Return the answer of *func* (the rule *label*'s function) about *origin*."""
        key = (label, origin)
        while True:
            known, pending = self._look_up(key)
            if known is not None:
                return known
            if pending is None:  # this request is the one to ask
                return self._ask_now(label, func, ttl, key)
            # Another thread is asking about this origin: wait for its answer, then look again.
            if not pending.wait(self._wait):
                return "failed"

    def _look_up(self, key: tuple[str, str]) -> tuple[Answer | None, threading.Event | None]:
        """Under the lock: a usable answer, or the call another thread is making, or neither
        (then the caller is registered as the one asking)."""
        with self._lock:
            now = self._clock()
            cached = self._answers.get(key)
            if cached is not None and cached[0] > now:
                self._answers.move_to_end(key)
                return cached[1], None
            pending = self._pending.get(key)
            if pending is not None:
                return None, pending
            if not self._may_call(now):
                # Over budget: a known origin keeps its last answer, even expired, so a flood
                # of strangers cannot lock out the tenants already seen.
                return ("throttled" if cached is None else cached[1]), None
            self._pending[key] = threading.Event()
            return None, None

    def _ask_now(
        self, label: str, func: Callable[[str], object], ttl: float, key: tuple[str, str]
    ) -> Answer:
        try:
            answer = self._call(label, func, key[1])
        except BaseException:
            # The call was interrupted (a worker timeout, KeyboardInterrupt): waiters are
            # released, the origin is not left pending for the life of the process, and
            # nothing is cached, so the next request asks again.
            self._finish(key, None, ttl)
            raise
        self._finish(key, answer, ttl)
        return answer

    def _finish(self, key: tuple[str, str], answer: Answer | None, ttl: float) -> None:
        """Keep *answer* (when there is one) for *ttl* seconds, and release the waiters."""
        with self._lock:
            if ttl > 0 and answer is not None:
                self._answers[key] = (self._clock() + ttl, answer)
                self._answers.move_to_end(key)
                while len(self._answers) > self._size:
                    self._answers.popitem(last=False)
            self._pending.pop(key).set()

    def _may_call(self, now: float) -> bool:
        second = int(now)
        if second != self._second:
            self._second, self._calls_this_second = second, 0
        if self._calls_this_second >= MAX_CALLS_PER_SECOND:
            return False
        self._calls_this_second += 1
        return True

    @staticmethod
    def _call(label: str, func: Callable[[str], object], origin: str) -> Answer:
        try:
            result = func(origin)
        except Exception:
            # The request is refused, never broken; the traceback goes to the log once per TTL.
            logger.exception("%s: allow_origin_func failed for origin %s", label, for_log(origin))
            return "failed"
        if isinstance(result, bool):
            return result
        logger.error(
            "%s: allow_origin_func returned %s for origin %s, not True or False",
            label,
            for_log(type(result).__name__),
            for_log(origin),
        )
        return "failed"
