"""Run 100 predictions concurrently, never more than a set number at once.

Against the bundled emulator (no token, no network):

    python -m replicate.emulator --port 0 -- python examples/async_fanout.py --limit 10

An asyncio.Semaphore caps the predictions in flight, so a large batch neither trips the API's
rate limits nor opens hundreds of connections; the client retries a 429 by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any, List, Optional, Sequence

import replicate


class FanOut:
    """Runs one model over many inputs with at most `limit` predictions in flight."""

    def __init__(self, model: str, limit: int) -> None:
        self.model = model
        self.limit = limit
        self.in_flight = 0
        self.peak_in_flight = 0  # the most predictions that ever ran at once

    async def run_one(self, text: str, semaphore: asyncio.Semaphore) -> Any:
        async with semaphore:
            self.in_flight += 1
            self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
            try:
                return await replicate.async_run(self.model, input={"text": text})
            finally:
                self.in_flight -= 1

    async def run_all(self, texts: Sequence[str]) -> List[Any]:
        """The outputs, in the order of `texts`; the first failure is raised."""
        # Made here, inside the running loop: on Python 3.9 a Semaphore binds to the loop
        # current when it is created.
        semaphore = asyncio.Semaphore(self.limit)
        return list(await asyncio.gather(*(self.run_one(text, semaphore) for text in texts)))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--model", default="replicate/hello-world")
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--limit", type=int, default=10, help="predictions in flight at most")
    args = parser.parse_args(argv)

    fan_out = FanOut(args.model, args.limit)
    started = time.perf_counter()
    outputs = asyncio.run(fan_out.run_all([f"world #{i}" for i in range(args.count)]))
    elapsed = time.perf_counter() - started
    print(
        f"{len(outputs)} predictions in {elapsed:.1f} s, at most {fan_out.peak_in_flight} at once"
    )
    print(f"first: {outputs[0]!r}, last: {outputs[-1]!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
