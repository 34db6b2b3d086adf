"""`bounded`: a block that must end within a time limit (a fault must not make the client hang).

Not a speed test: the limits are many times what the block needs, and catch only a hang.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def bounded(seconds: float) -> Iterator[None]:
    """The block must end within `seconds`."""
    started = time.monotonic()
    yield
    elapsed = time.monotonic() - started
    assert elapsed < seconds, f"took {elapsed:.1f}s, more than {seconds}s"
