"""The quickstart, in ordinary v0 style.

`make demo` runs it against the bundled emulator (no token, no network):

    python -m replicate.emulator --port 0 -- python examples/quickstart.py

The same code runs against Replicate itself: set REPLICATE_API_TOKEN, leave
REPLICATE_BASE_URL unset, and use models that exist there.
"""

from __future__ import annotations

import sys
from pathlib import Path

import replicate
from replicate.exceptions import ModelError
from replicate.helpers import FileOutput


def show_progress(prediction: replicate.prediction.Prediction) -> None:
    """Draw the prediction's progress bar, read from the tqdm lines in its logs."""
    progress = prediction.progress
    if progress is not None:
        filled = int(progress.percentage * 20)
        print(f"\r  [{'#' * filled}{'.' * (20 - filled)}] {progress.current}/{progress.total}", end="", flush=True)


def main() -> int:
    print("== run: replicate/hello-world ==")
    print(replicate.run("replicate/hello-world", input={"text": "world"}))

    print("\n== stream: replicate/llm-streamer ==")
    for event in replicate.stream("replicate/llm-streamer", input={"prompt": "Tell me a story", "max_tokens": 16}):
        print(str(event), end="", flush=True)
    print()

    print("\n== file output: replicate/image-maker ==")
    image = replicate.run("replicate/image-maker", input={"prompt": "a sunset", "width": 96, "height": 64})
    assert isinstance(image, FileOutput)  # image-maker answers one file
    path = Path("quickstart-image.png")
    with path.open("wb") as file:
        for chunk in image:  # streamed, in constant memory
            file.write(chunk)
    print(f"saved {path} ({path.stat().st_size} bytes) from {image.url}")

    print("\n== progress: replicate/slow-progress ==")
    prediction = replicate.predictions.create(
        model="replicate/slow-progress", input={"seconds": 1.5, "steps": 10}
    )
    prediction.wait(on_progress=show_progress)
    print(f"\n{prediction.status}: {prediction.output}")

    print("\n== failure: replicate/fails ==")
    try:
        replicate.run("replicate/fails", input={"message": "this model always fails"})
    except ModelError as error:
        print(f"ModelError from prediction {error.prediction.id}: {error.prediction.error}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
