"""Request records and counters exposed as ``emulator.stats``."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional


@dataclass
class RequestRecord:
    """One HTTP request the emulator received."""

    method: str
    path: str
    query: str
    headers: Dict[str, str]
    origin: str  # "api" or "delivery"

    def __iter__(self) -> Any:
        """Unpacks as ``(method, path, headers)``."""
        return iter((self.method, self.path, self.headers))


@dataclass
class Stats:
    """Counters for tests and benchmarks.

    ``requests`` keeps the most recent ``max_requests`` records so a long-running
    emulator (the CLI, a benchmark) does not grow without bound.
    """

    predictions_created: int = 0
    trainings_created: int = 0
    requests: List[RequestRecord] = field(default_factory=list)  # pyright: ignore[reportUnknownVariableType]
    max_requests: int = 100_000
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record(self, record: RequestRecord) -> None:
        """Append a request record (thread-safe)."""
        with self._lock:
            self.requests.append(record)
            if len(self.requests) > 2 * self.max_requests:
                del self.requests[: -self.max_requests]

    def reset(self) -> None:
        """Zero every counter."""
        with self._lock:
            self.predictions_created = 0
            self.trainings_created = 0
            self.requests.clear()

    @property
    def delivery_requests(self) -> List[RequestRecord]:
        """Requests for files and streams (delivery URLs, SSE, signed downloads)."""
        with self._lock:
            return [r for r in self.requests if r.origin == "delivery" or _is_delivery_path(r.path)]

    def count(self, method: Optional[str] = None, path: Optional[str] = None) -> int:
        """How many requests matched ``method`` and an exact ``path``."""
        with self._lock:
            return sum(
                1
                for r in self.requests
                if (method is None or r.method == method.upper())
                and (path is None or r.path == path)
            )


def _is_delivery_path(path: str) -> bool:
    return path.startswith(("/delivery/", "/v1/streams/", "/v1/files/streams/")) or (
        path.startswith("/v1/files/") and path.endswith("/download")
    )
