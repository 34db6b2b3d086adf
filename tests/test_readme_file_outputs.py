"""The README's "File outputs" section runs as written, against the emulator."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

import replicate

pytest.importorskip("PIL.Image")
pytest.importorskip("replicate.emulator")

README = Path(__file__).resolve().parent.parent / "README.md"


def section_code(heading: str) -> List[str]:
    """The ```python blocks under a `### heading`, up to the next heading of that level."""
    text = README.read_text(encoding="utf-8")
    start = text.index(f"### {heading}\n")
    end = text.find("\n### ", start + 1)
    section = text[start : end if end >= 0 else None]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    from PIL import Image

    from replicate.emulator import Emulator

    def draw(prompt: str) -> bytes:  # the stand-in the README names: a PNG per prompt
        buffer = io.BytesIO()
        Image.new("RGB", (48, 32), (len(prompt) * 9 % 256, 90, 200)).save(buffer, format="PNG")
        return buffer.getvalue()

    with Emulator() as emu:
        emu.add_model("black-forest-labs/flux-1.1-pro", draw, official=True)
        monkeypatch.setenv("REPLICATE_API_TOKEN", emu.token or "")
        monkeypatch.setenv("REPLICATE_BASE_URL", emu.base_url)
        monkeypatch.setitem(vars(replicate), "default_client", emu.client())
        monkeypatch.chdir(tmp_path)
        yield emu


def test_the_file_outputs_section_runs_as_written(emulator: Any, tmp_path: Path) -> None:
    blocks = section_code("File outputs")
    assert len(blocks) == 2
    namespace: Dict[str, Any] = {"__name__": "readme"}
    exec(compile(blocks[0], str(README), "exec"), namespace)

    png = (tmp_path / "fox.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and namespace["data"] == png
    for name in ("fox-chunks.png", "fox-copy.png"):
        assert (tmp_path / name).read_bytes() == png
    assert namespace["image"].size == (48, 32)

    exec(compile(blocks[1], str(README), "exec"), namespace)

    async_png = (tmp_path / "fox-async.png").read_bytes()
    assert async_png.startswith(b"\x89PNG") and namespace["data"] == async_png
