"""Command line: ``python -m replicate.emulator --port 8000 --token r8_test``.

With a command after ``--``, the emulator serves only while that command runs, with
REPLICATE_API_TOKEN and REPLICATE_BASE_URL pointing at it:
``python -m replicate.emulator --port 0 -- python examples/quickstart.py``.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
from typing import List, Optional

from .emulator import Emulator


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m replicate.emulator",
        description="Serve a local emulation of the Replicate HTTP API on 127.0.0.1.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8000, help="API port (0 = any free port; default 8000)"
    )
    parser.add_argument(
        "--delivery-port",
        type=int,
        default=0,
        help="port for files and streams (default: any free port)",
    )
    parser.add_argument(
        "--same-origin", action="store_true", help="serve files and streams on the API port"
    )
    parser.add_argument("--token", default="r8_test", help="API token to accept (default r8_test)")
    parser.add_argument("--no-auth", action="store_true", help="accept requests without a token")
    parser.add_argument(
        "--no-demo-models", action="store_true", help="start without the demo models"
    )
    parser.add_argument(
        "--max-wait",
        type=float,
        default=60.0,
        help="longest Prefer: wait hold in seconds (default 60)",
    )
    parser.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        help="after --, a command to run against the emulator; the emulator stops when it ends",
    )
    return parser.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    args = parse_args(argv)
    emulator = Emulator(
        None if args.no_auth else args.token,
        host=args.host,
        port=args.port,
        delivery_port=args.delivery_port,
        separate_delivery_origin=not args.same_origin,
        demo_models=not args.no_demo_models,
        max_wait_seconds=args.max_wait,
    )
    emulator.start()
    command = [part for part in args.command if part != "--"] if args.command else []
    if command:
        return _run_against(emulator, command)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signal, _frame: stop.set())
    # Everything after start() is inside the try: a Ctrl-C that lands while the banner prints
    # must still stop the server threads, or the interpreter waits on them forever.
    try:
        print(f"Replicate emulator serving the API at {emulator.base_url}/v1", flush=True)
        print(f"Files and streams are served from {emulator.delivery_url}", flush=True)
        print(f"  export REPLICATE_BASE_URL={emulator.base_url}", flush=True)
        if emulator.token:
            print(f"  export REPLICATE_API_TOKEN={emulator.token}", flush=True)
        if emulator.state.models:
            print("Models: " + ", ".join(sorted(emulator.state.models)), flush=True)
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
        print("Emulator stopped.", flush=True)
    return 0


def _run_against(emulator: Emulator, command: List[str]) -> int:
    """Run `command` with the client environment pointing at the emulator; its exit code."""
    environment = dict(os.environ, REPLICATE_BASE_URL=emulator.base_url)
    if emulator.token:
        environment["REPLICATE_API_TOKEN"] = emulator.token
    print(f"Emulator running at {emulator.base_url} for: {' '.join(command)}", flush=True)
    try:
        return subprocess.call(command, env=environment)
    finally:
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
