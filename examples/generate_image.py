"""Generate an image and save it to disk.

Against the bundled emulator (no token, no network):

    python -m replicate.emulator --port 0 -- python examples/generate_image.py --out sunset.png

Against Replicate, set REPLICATE_API_TOKEN and name an image model, for example
``--model black-forest-labs/flux-schnell``. Models that return several images are saved as
``sunset-0.png``, ``sunset-1.png``, ...
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, cast

import replicate
from replicate.helpers import FileOutput


def file_outputs(output: object) -> List[FileOutput]:
    """A run's file outputs: some image models answer one file, others a list of them."""
    items = cast("List[object]", output) if isinstance(output, list) else [output]
    files = [item for item in items if isinstance(item, FileOutput)]
    if len(files) != len(items):
        raise TypeError(f"expected file outputs, got {output!r}")
    return files


def generate(
    model: str, prompt: str, out: Path, size: Optional[Sequence[int]] = None
) -> List[Path]:
    """Run `model` on `prompt` and save every image it returns; give back the paths written."""
    model_input: Dict[str, Any] = {"prompt": prompt}
    if size is not None:
        model_input["width"], model_input["height"] = size
    images = file_outputs(replicate.run(model, input=model_input))
    # save() streams the download to disk in constant memory, whatever the file's size.
    if len(images) == 1:
        return [images[0].save(out)]
    return [
        image.save(out.with_name(f"{out.stem}-{i}{out.suffix}")) for i, image in enumerate(images)
    ]


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--model", default="replicate/image-maker")
    parser.add_argument("--prompt", default="a sunset over the sea")
    parser.add_argument("--out", type=Path, default=Path("image.png"))
    parser.add_argument("--size", type=int, nargs=2, metavar=("WIDTH", "HEIGHT"))
    args = parser.parse_args(argv)
    for path in generate(args.model, args.prompt, args.out, args.size):
        print(f"saved {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
