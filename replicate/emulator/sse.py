"""Server-sent event streams of a prediction's output, logs, errors and completion."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator, Optional

from .faults import ConnectionCut
from .state import Job, StreamEvent

SSE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",
}


def format_event(event: StreamEvent) -> bytes:
    """Encode one event; multi-line data becomes several ``data:`` lines."""
    lines = [f"event: {event.event}", f"id: {event.id}"]
    lines.extend(f"data: {line}" for line in event.data.split("\n"))
    return ("\n".join(lines) + "\n\n").encode()


def parse_last_event_id(value: Optional[str]) -> int:
    """The numeric id a reconnecting client sent (0 = from the start)."""
    try:
        return max(0, int((value or "0").strip()))
    except ValueError:
        return 0


async def event_stream(
    job: Job,
    last_event_id: int = 0,
    *,
    cut_after: Optional[int] = None,
    keepalive: float = 15.0,
) -> AsyncIterator[bytes]:
    """Replay events after ``last_event_id``, then follow live ones until ``done``.

    With ``cut_after`` the stream is dropped abruptly after that many events
    (fault injection), so clients must resume with ``Last-Event-ID``.
    """
    yield b": hi\n\n"
    if cut_after is not None and cut_after <= 0:
        await asyncio.sleep(0.01)
        raise ConnectionCut("stream cut by fault injection")
    sent = 0
    while True:
        events, revision, terminal = job.events_after(last_event_id)
        for event in events:
            yield format_event(event)
            last_event_id = event.id
            sent += 1
            if cut_after is not None and sent >= cut_after:
                await asyncio.sleep(0.01)  # let the transport flush what was sent
                raise ConnectionCut("stream cut by fault injection")
        if terminal:
            return
        await job.wait_for_change(revision, keepalive)
        if job.revision == revision:
            yield b": ping\n\n"
