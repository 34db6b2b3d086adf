"""Each script in examples/ runs against the emulator and does what its docstring says."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import importlib.util
import io
import json
import re
import struct
import sys
import time
import types
from pathlib import Path
from typing import Any, List

import httpx
import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")

import replicate
from replicate.emulator import Emulator
from replicate.emulator.pytest_plugin import emulator, replicate_emulator  # noqa: F401
from replicate.helpers import FileOutput

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_example(name: str) -> Any:
    """Import examples/<name>.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(data: bytes) -> tuple[int, int]:
    assert data.startswith(PNG_SIGNATURE)
    width, height = struct.unpack(">II", data[16:24])  # from the IHDR chunk
    return width, height


def test_generate_image_saves_the_png_to_disk(emulator: Emulator, tmp_path: Path, capsys: Any) -> None:  # noqa: F811
    example = load_example("generate_image")
    out = tmp_path / "sunset.png"
    assert example.main(["--out", str(out), "--size", "40", "20", "--prompt", "dusk"]) == 0
    assert png_size(out.read_bytes()) == (40, 20)
    assert f"saved {out} ({out.stat().st_size} bytes)" in capsys.readouterr().out
    assert emulator.stats.predictions_created == 1


def test_generate_image_numbers_the_files_of_a_model_that_returns_several(
    emulator: Emulator,  # noqa: F811
    tmp_path: Path,
) -> None:
    example = load_example("generate_image")
    assert example.main(["--model", "replicate/frames", "--out", str(tmp_path / "frame.png")]) == 0
    saved = sorted(path.name for path in tmp_path.iterdir())
    assert saved == ["frame-0.png", "frame-1.png", "frame-2.png"]
    assert all(png_size((tmp_path / name).read_bytes()) == (8, 8) for name in saved)


def test_stream_llm_writes_each_token_as_it_arrives(emulator: Emulator) -> None:  # noqa: F811
    example = load_example("stream_llm")

    class RecordingOutput(io.StringIO):
        def __init__(self) -> None:
            super().__init__()
            self.writes: List[str] = []

        def write(self, text: str) -> int:
            self.writes.append(text)
            return super().write(text)

    out = RecordingOutput()
    answer = example.stream_answer("replicate/llm-streamer", "Tell me a story", 8, out)
    assert answer == "Once upon a time a small emulator answered"
    assert out.getvalue() == answer + "\n"
    tokens = [text for text in out.writes if text.strip()]
    assert tokens[:3] == ["Once", " upon", " a"]  # one write per token, not one at the end
    assert len(tokens) == 8


def test_async_fanout_runs_100_predictions_never_more_than_the_limit_at_once(
    emulator: Emulator,  # noqa: F811
) -> None:
    example = load_example("async_fanout")
    fan_out = example.FanOut("replicate/hello-world", limit=7)
    texts = [f"#{i}" for i in range(100)]
    outputs = asyncio.run(fan_out.run_all(texts))
    assert outputs == [f"hello #{i}" for i in range(100)]
    assert fan_out.peak_in_flight == 7
    assert emulator.stats.predictions_created == 100


def test_async_fanout_script_reports_the_batch(emulator: Emulator, capsys: Any) -> None:  # noqa: F811
    example = load_example("async_fanout")
    assert example.main(["--count", "12", "--limit", "3"]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^12 predictions in [\d.]+ s, at most 3 at once$", out, re.M)
    assert "first: 'hello world #0', last: 'hello world #11'" in out


def test_webhook_receiver_accepts_the_signed_webhook_of_its_prediction(
    emulator: Emulator,  # noqa: F811
    capsys: Any,
) -> None:
    example = load_example("webhook_receiver")
    assert example.main(["--timeout", "30"]) == 0
    out = capsys.readouterr().out
    prediction_id = re.search(r"created prediction (\w+)", out)
    assert prediction_id is not None
    assert f"verified webhook for {prediction_id.group(1)}: succeeded, output 'hello webhooks'" in out


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """A Standard Webhooks signature, computed here independently of the client."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def test_webhook_receiver_rejects_a_forged_or_tampered_webhook(emulator: Emulator) -> None:  # noqa: F811
    example = load_example("webhook_receiver")
    secret = replicate.webhooks.default.secret()
    body = json.dumps({"id": "p1", "status": "succeeded", "output": "hi"}).encode()
    now = int(time.time())
    headers = {
        "webhook-id": "msg_1",
        "webhook-timestamp": str(now),
        "webhook-signature": sign(emulator.webhook_secret, "msg_1", now, body),
    }
    with example.WebhookReceiver(secret) as receiver:
        tampered = body.replace(b"hi", b"ha")
        assert httpx.post(receiver.url, content=tampered, headers=headers).status_code == 403
        unsigned = {k: v for k, v in headers.items() if k != "webhook-signature"}
        assert httpx.post(receiver.url, content=body, headers=unsigned).status_code == 403
        assert receiver.received.empty() and receiver.rejected == 2
        assert httpx.post(receiver.url, content=body, headers=headers).status_code == 200
        assert receiver.received.get(timeout=5) == {"id": "p1", "status": "succeeded", "output": "hi"}


def test_train_model_trains_into_a_new_model_and_runs_its_version(
    emulator: Emulator,  # noqa: F811
    capsys: Any,
) -> None:
    example = load_example("train_model")
    assert example.main(["--destination", "emulator/hello-tuned"]) == 0
    out = capsys.readouterr().out
    version = re.search(r"new version: emulator/hello-tuned:([0-9a-f]{64})", out)
    assert version is not None
    assert "it answers: 'hello tuned'" in out
    model = replicate.models.get("emulator/hello-tuned")
    assert model.latest_version is not None and model.latest_version.id == version.group(1)


def test_notebook_example_writes_a_gallery_outside_a_notebook(
    emulator: Emulator,  # noqa: F811
    tmp_path: Path,
) -> None:
    example = load_example("notebook_images")
    gallery = tmp_path / "gallery.html"
    assert example.main([str(gallery)]) == 0
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)">', gallery.read_text())
    assert len(images) == 3
    assert all(png_size(base64.b64decode(data)) == (192, 96) for data in images)


def test_notebook_example_displays_the_images_inline_in_a_notebook(
    emulator: Emulator,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    displayed: List[Any] = []
    ipython = types.ModuleType("IPython")
    ipython.get_ipython = lambda: object()  # type: ignore[attr-defined]
    display = types.ModuleType("IPython.display")
    display.display = lambda *objects: displayed.extend(objects)  # type: ignore[attr-defined]
    display.Markdown = lambda text: ("markdown", text)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "IPython", ipython)
    monkeypatch.setitem(sys.modules, "IPython.display", display)
    monkeypatch.chdir(tmp_path)

    example = load_example("notebook_images")
    assert example.main([]) == 0
    assert displayed[0::2] == [("markdown", f"**{prompt}**") for prompt in example.PROMPTS]
    images = displayed[1::2]
    assert all(isinstance(image, FileOutput) for image in images) and len(images) == 3
    bundle = images[0]._repr_mimebundle_()
    assert png_size(bundle["image/png"]) == (192, 96)  # what Jupyter shows inline
    assert list(tmp_path.iterdir()) == []  # no gallery file in a notebook
