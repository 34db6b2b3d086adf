"""A single daemon thread that runs callbacks at given times (deadlines, throttling)."""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from typing import Callable, List, Optional, Tuple

logger: logging.Logger = logging.getLogger(__name__)


class Timer:
    """Handle for a scheduled callback."""

    __slots__ = ("callback", "cancelled")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback: Callable[[], None] = callback
        self.cancelled: bool = False

    def cancel(self) -> None:
        """Drop the callback if it has not run yet."""
        self.cancelled = True


class Scheduler:
    """Runs callbacks on one background thread; one thread for all timers."""

    def __init__(self, name: str = "emulator-scheduler") -> None:
        self._heap: List[Tuple[float, int, Timer]] = []
        self._counter = itertools.count()
        self._condition = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def call_later(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Run ``callback`` after ``delay`` seconds."""
        timer = Timer(callback)
        with self._condition:
            heapq.heappush(
                self._heap, (time.monotonic() + max(0.0, delay), next(self._counter), timer)
            )
            self._condition.notify()
        return timer

    def stop(self) -> None:
        """Stop the thread; pending callbacks are dropped."""
        with self._condition:
            self._stopped = True
            self._condition.notify()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        while True:
            timer = self._next_due()
            if timer is None:
                return
            try:
                timer.callback()
            except Exception:  # a failing callback must not kill the scheduler
                logger.exception("emulator scheduled callback failed")

    def _next_due(self) -> Optional[Timer]:
        with self._condition:
            while not self._stopped:
                if not self._heap:
                    self._condition.wait()
                    continue
                when, _, timer = self._heap[0]
                if timer.cancelled:
                    heapq.heappop(self._heap)
                    continue
                remaining = when - time.monotonic()
                if remaining <= 0:
                    heapq.heappop(self._heap)
                    return timer
                self._condition.wait(remaining)
            return None
