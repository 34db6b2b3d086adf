"""Stream a language model's answer to the terminal as it is generated.

Against the bundled emulator (no token, no network):

    python -m replicate.emulator --port 0 -- python examples/stream_llm.py "Tell me a story"

Against Replicate, set REPLICATE_API_TOKEN and pass ``--model meta/meta-llama-3-8b-instruct``.
"""

from __future__ import annotations

import argparse
import sys
from typing import List, Optional, Sequence, TextIO

import replicate


def stream_answer(model: str, prompt: str, max_tokens: int, out: TextIO) -> str:
    """Write each token to `out` as it arrives; return the whole answer."""
    tokens: List[str] = []
    for event in replicate.stream(model, input={"prompt": prompt, "max_tokens": max_tokens}):
        text = str(event)  # the text of an output event; "" for logs and the final done event
        tokens.append(text)
        out.write(text)
        out.flush()
    out.write("\n")
    return "".join(tokens)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("prompt", nargs="?", default="Tell me a story")
    parser.add_argument("--model", default="replicate/llm-streamer")
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args(argv)
    stream_answer(args.model, args.prompt, args.max_tokens, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
