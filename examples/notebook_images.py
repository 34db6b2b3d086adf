# %% [markdown]
# # Images in a notebook
#
# Jupyter, VS Code and PyCharm open this file as a notebook (each `# %%` line starts a cell;
# `jupytext --to notebook` converts it). In a notebook, an image output displays inline: it is
# a `FileOutput`, whose `_repr_mimebundle_` hands Jupyter the PNG. Run as a script, it writes
# the same images into an HTML gallery instead:
#
#     python -m replicate.emulator --port 0 -- python examples/notebook_images.py

# %%
from __future__ import annotations

import base64
import importlib
import sys
from pathlib import Path
from typing import List, Optional, Sequence, cast

import replicate
from replicate.helpers import FileOutput

MODEL = "replicate/image-maker"  # on Replicate, try "black-forest-labs/flux-schnell"
PROMPTS = ["a sunrise", "a forest at noon", "the sea at night"]


def generate(prompts: Sequence[str], model: str = MODEL) -> List[FileOutput]:
    """One image per prompt (the first one when a model returns several)."""
    images: List[FileOutput] = []
    for prompt in prompts:
        output = replicate.run(model, input={"prompt": prompt, "width": 192, "height": 96})
        image: object = cast("List[object]", output)[0] if isinstance(output, list) else output
        if not isinstance(image, FileOutput):
            raise TypeError(f"{model} did not return a file: {output!r}")
        images.append(image)
    return images


def in_notebook() -> bool:
    """True inside IPython or Jupyter, where `display()` shows images inline."""
    ipython = sys.modules.get("IPython")
    return ipython is not None and getattr(ipython, "get_ipython", lambda: None)() is not None


def show(images: Sequence[FileOutput], prompts: Sequence[str]) -> None:
    """Display the images inline in a notebook, each under its prompt."""
    display = importlib.import_module("IPython.display")
    for prompt, image in zip(prompts, images):
        display.display(display.Markdown(f"**{prompt}**"), image)


def gallery(images: Sequence[FileOutput], prompts: Sequence[str], path: Path) -> Path:
    """Outside a notebook: the same images in one HTML page, embedded as data: URIs."""
    figures: List[str] = []
    for prompt, image in zip(prompts, images):
        data = base64.b64encode(image.read()).decode("ascii")
        figures.append(
            f'<figure><img src="data:{image.content_type};base64,{data}">'
            f"<figcaption>{prompt}</figcaption></figure>"
        )
    path.write_text("<!doctype html>\n<title>Gallery</title>\n" + "\n".join(figures) + "\n")
    return path


# %%
def main(argv: Optional[Sequence[str]] = None) -> int:
    images = generate(PROMPTS)
    if in_notebook():
        show(images, PROMPTS)
    else:
        out = Path(argv[0] if argv else "gallery.html")
        print(f"wrote {gallery(images, PROMPTS, out)} with {len(images)} images")
    return 0


# %% [markdown]
# In a notebook, the last expression of a cell displays too: `images[0]` alone shows the image.

# %%
if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
