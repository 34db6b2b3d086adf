"""Quickstart demo: ``python -m replicate.emulator.demo``.

Starts the emulator and drives it through the public client API only.
"""

from __future__ import annotations

import sys
import time
import traceback
from typing import Any, Callable

from .emulator import Emulator


def _section(title: str, body: Callable[[Any], None], client: Any) -> bool:
    print(f"\n== {title} ==", flush=True)
    try:
        body(client)
        return True
    except Exception as exc:  # the demo reports each part separately
        print(f"[not available] {type(exc).__name__}: {exc}")
        if "-v" in sys.argv:
            traceback.print_exc()
        return False


def _run(client: Any) -> None:
    print(client.run("replicate/hello-world", input={"text": "world"}))


def _stream(client: Any) -> None:
    for event in client.stream(
        "replicate/llm-streamer", input={"prompt": "Tell me a story", "max_tokens": 20}
    ):
        print(str(event), end="", flush=True)
    print()


def _image(client: Any) -> None:
    out = client.run("replicate/image-maker", input={"prompt": "sunset", "width": 32, "height": 32})
    data = out.read()
    print(
        len(data),
        "bytes PNG",
        "(valid signature)" if data.startswith(b"\x89PNG") else "(not a PNG!)",
    )


def _failure(client: Any) -> None:
    try:
        client.run("replicate/fails", input={"message": "boom"})
    except Exception as exc:
        if "boom" not in str(exc):
            raise
        print(f"raised {type(exc).__name__}: {exc}")
    else:
        raise AssertionError("replicate/fails did not raise")


def main() -> int:
    """Run every section; exit status 1 if any section failed."""
    started = time.monotonic()
    with Emulator() as emu:
        print(f"Emulator running: API {emu.base_url}, files and streams {emu.delivery_url}")
        try:
            import replicate

            client = replicate.Client(api_token=emu.token, base_url=emu.base_url)
        except Exception as exc:
            print(
                f"[not available] the replicate client could not be created: {type(exc).__name__}: {exc}"
            )
            return 1
        results = [
            _section("run: replicate/hello-world", _run, client),
            _section("stream: replicate/llm-streamer", _stream, client),
            _section("files: replicate/image-maker", _image, client),
            _section("errors: replicate/fails", _failure, client),
        ]
    print(f"\n{sum(results)}/{len(results)} sections worked in {time.monotonic() - started:.1f}s")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
