"""The project's emulator as a benchmark server, run in its own process (project venv).

It registers the benchmark models, speaks the same stdin protocol as lean_server.py
(``stats``, ``reset``, ``tag-requests TAG...``; EOF or ``--lifetime`` stops it) and prints
``{"base_url": ..., "delivery_url": ...}`` first. Model functions append
``tag index unix-time`` lines to the ``--times`` file when they finish (index -1) or yield
item ``index``, which is how clients measure added latency.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import sys
import threading
import time
from typing import Dict, Iterator, List

from replicate.emulator import Emulator

_lock = threading.Lock()


def version_id(model: str) -> str:
    return hashlib.sha256(model.encode()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-wait", type=float, default=60.0)
    parser.add_argument("--times", required=True)
    parser.add_argument("--lifetime", type=float, default=1800.0)
    args = parser.parse_args()
    times_path = args.times

    def record(tag: str, index: int) -> None:
        if tag:
            with _lock, open(times_path, "a") as handle:
                handle.write(f"{tag} {index} {time.time():.6f}\n")

    def echo(tag: str = "", seconds: float = 0.0, output: str = "done") -> str:
        """Sleep, then return `output`."""
        time.sleep(seconds)
        record(tag, -1)
        return output

    def items(tag: str = "", items: int = 5, interval: float = 0.1, delay: float = 0.0) -> Iterator[str]:
        """After `delay` seconds, yield `items` strings, one every `interval` seconds."""
        time.sleep(delay)
        for index in range(items):
            time.sleep(interval)
            record(tag, index)
            yield f"item-{index}"
        record(tag, -1)

    emulator = Emulator(token="r8_test", max_wait_seconds=args.max_wait, separate_delivery_origin=True)
    emulator.add_model("bench/echo", echo, version_id=version_id("bench/echo"))
    emulator.add_model("bench/iter", items, version_id=version_id("bench/iter"))
    emulator.start()
    print(json.dumps({"base_url": emulator.base_url, "delivery_url": emulator.delivery_url}), flush=True)
    stop = threading.Event()

    def tag_requests(tags: List[str]) -> Dict[str, int]:
        """Requests that concern each tag's predictions: the create, plus every request whose
        path names the prediction (get, cancel, stream)."""
        by_id = {
            prediction_id: str((getattr(prediction, "input", None) or {}).get("tag", ""))
            for prediction_id, prediction in list(emulator.state.predictions.items())
        }
        counts: Dict[str, int] = {tag: 0 for tag in tags}
        for tag in by_id.values():
            if tag in counts:
                counts[tag] += 1  # its create
        for record_ in list(emulator.stats.requests):
            match = re.search(r"/(?:predictions|streams)/([^/?]+)", record_.path)
            if match and by_id.get(match.group(1)) in counts and record_.method != "POST":
                counts[by_id[match.group(1)]] += 1
        return counts

    def control() -> None:
        for line in sys.stdin:
            command, *rest = line.split()
            if command == "stats":
                requests = list(emulator.stats.requests)
                by_route: Dict[str, int] = {}
                for request in requests:
                    key = f"{request.method} {re.sub(r'/[0-9a-z]{20,}', '/{id}', request.path)}"
                    by_route[key] = by_route.get(key, 0) + 1
                print(json.dumps({"requests": len(requests), "by_route": by_route}), flush=True)
            elif command == "reset":
                emulator.stats.reset()
                print("{}", flush=True)
            elif command == "tag-requests":
                print(json.dumps(tag_requests(rest)), flush=True)
            elif command == "quit":
                break
        stop.set()

    threading.Thread(target=control, daemon=True).start()
    stop.wait(args.lifetime)
    emulator.stop()
    os._exit(0)


if __name__ == "__main__":
    main()
