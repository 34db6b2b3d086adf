"""Built-in demo models installed when ``Emulator(demo_models=True)`` (the default)."""

from __future__ import annotations

import hashlib
import pathlib
import struct
import tempfile
import time
import zlib
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, Tuple

from ._util import new_version_id
from .schema import ConcatenateIterator, Input

if TYPE_CHECKING:
    from .emulator import Emulator

_STORY = [
    "Once",
    "upon",
    "a",
    "time",
    "a",
    "small",
    "emulator",
    "answered",
    "every",
    "request",
    "exactly",
    "like",
    "the",
    "real",
    "service,",
    "streaming",
    "one",
    "token",
    "at",
    "a",
    "time",
    "so",
    "that",
    "clients",
    "could",
    "be",
    "tested",
    "without",
    "a",
    "network,",
    "a",
    "token",
    "or",
    "a",
    "bill.",
    "The",
    "end.",
]


def png_bytes(width: int, height: int, seed: str = "") -> bytes:
    """A valid RGB PNG gradient, built with zlib and struct only."""
    digest = hashlib.sha256(seed.encode()).digest()
    base_r, base_g, base_b = digest[0], digest[1], digest[2]
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type "None" for this scanline
        for x in range(width):
            rows += bytes(
                (
                    (base_r + x * 255 // max(1, width - 1)) % 256,
                    (base_g + y * 255 // max(1, height - 1)) % 256,
                    base_b,
                )
            )

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return (
            struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(rows), 6))
        + chunk(b"IEND", b"")
    )


# Scratch space for demo outputs, removed when the process exits (the emulator
# snapshots each output file, so nothing here needs to outlive a prediction).
_SCRATCH = tempfile.TemporaryDirectory(prefix="replicate-emulator-demo-")


def _write_png(name: str, data: bytes) -> pathlib.Path:
    # Cog models name their outputs (out-0.png ...); the delivery URL keeps the name.
    path = pathlib.Path(tempfile.mkdtemp(dir=_SCRATCH.name)) / name
    path.write_bytes(data)
    return path


def hello_world(text: str = Input(description="Text to prefix with 'hello '")) -> str:
    """Say hello."""
    return "hello " + text


def llm_streamer(
    prompt: str = Input("Tell me a story", description="The prompt"),
    max_tokens: int = Input(24, description="Number of tokens to generate", ge=1, le=4096),
    delay: float = Input(0.01, description="Seconds between tokens", ge=0, le=5),
) -> ConcatenateIterator[str]:
    """Stream words, one token at a time."""
    print(f"Prompt: {prompt}")
    for index in range(max_tokens):
        word = _STORY[index % len(_STORY)]
        yield word if index == 0 else " " + word
        if delay:
            time.sleep(delay)
    print(f"Generated {max_tokens} tokens")


def image_maker(
    prompt: str = Input("a gradient", description="What to draw (seeds the colours)"),
    width: int = Input(64, description="Width in pixels", ge=1, le=2048),
    height: int = Input(64, description="Height in pixels", ge=1, le=2048),
) -> pathlib.Path:
    """Draw a PNG gradient."""
    print(f"Drawing {width}x{height} image for {prompt!r}")
    return _write_png("out-0.png", png_bytes(width, height, prompt))


def slow_progress(
    seconds: float = Input(0.5, description="How long to run", ge=0, le=600),
    steps: int = Input(10, description="Number of progress steps", ge=1, le=1000),
) -> str:
    """Print tqdm-style progress lines for ``seconds``."""
    started = time.monotonic()
    for step in range(steps + 1):
        if step:
            time.sleep(seconds / steps)
        filled = step * 10 // steps
        elapsed = time.monotonic() - started
        rate = step / elapsed if elapsed > 0 else 0.0
        bar = "█" * filled + " " * (10 - filled)
        print(
            f"{step * 100 // steps:3d}%|{bar}| {step}/{steps} [00:{elapsed:05.2f}<00:00, {rate:.1f}it/s]"
        )
    return f"finished {steps} steps in {seconds} seconds"


def fails(message: str = Input("this model always fails", description="The error to raise")) -> str:
    """Log a line, then raise."""
    print("about to fail")
    raise RuntimeError(message)


def echo_file(file: pathlib.Path = Input(description="Any file")) -> pathlib.Path:  # noqa: B008
    """Return the input file unchanged (exercises uploads, data URIs and delivery)."""
    print(f"received {file.name} ({file.stat().st_size} bytes)")
    return file


def _stream_files(count: int = Input(3, ge=1, le=50)) -> Iterator[pathlib.Path]:
    """Yield several small PNG files (an iterator of file outputs)."""
    for index in range(count):
        yield _write_png(f"out-{index}.png", png_bytes(8, 8, str(index)))


DEMO_MODELS: Dict[str, Tuple[Callable[..., Any], bool, str]] = {
    "replicate/hello-world": (hello_world, False, "A tiny model that says hello"),
    "replicate/llm-streamer": (llm_streamer, True, "A pretend language model that streams tokens"),
    "replicate/image-maker": (image_maker, False, "Draws a PNG gradient"),
    "replicate/slow-progress": (slow_progress, False, "Runs for a while printing tqdm progress"),
    "replicate/fails": (fails, False, "Always fails with the given message"),
    "replicate/echo-file": (echo_file, False, "Returns the file it is given"),
    "replicate/frames": (_stream_files, False, "Yields several PNG files one by one"),
}


def install_demo_models(emulator: Emulator) -> None:
    """Register the demo models (with stable version ids) and a demo collection."""
    for name, (fn, official, description) in DEMO_MODELS.items():
        readme = f"# {name}\n\n{description}.\n\nThis model runs inside the Replicate emulator.\n"
        emulator.add_model(
            name,
            fn,
            version_id=new_version_id(f"replicate-emulator:{name}:v1"),
            official=official,
            description=description,
            readme=readme,
            github_url="https://github.com/replicate/cog-examples",
        )
    emulator.add_collection(
        "emulator-demos",
        "Emulator demos",
        "Demo models built into the Replicate emulator",
        models=list(DEMO_MODELS),
        full_description="## Demo models\n\nSmall, fast models for testing clients.",
    )
