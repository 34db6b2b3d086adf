"""Encoding inputs: files anywhere in an input become upload URLs or data URIs."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import mimetypes
import threading
from pathlib import Path
from typing import Any, Dict, List

import httpx
import pytest

from replicate.client import Client
from replicate.helpers import async_encode_json, base64_encode_file, encode_json, guess_content_type


def file_object(n: int) -> Dict[str, Any]:
    return {
        "id": f"f{n}",
        "name": "x",
        "content_type": "application/octet-stream",
        "size": 1,
        "etag": "e",
        "checksums": {"sha256": "0"},
        "metadata": {},
        "created_at": "2024-01-01T00:00:00Z",
        "urls": {"get": f"https://api.replicate.com/v1/files/f{n}"},
    }


class Uploads:
    """A fake POST /v1/files that names each upload after the bytes it received."""

    def __init__(self) -> None:
        self.requests: List[httpx.Request] = []
        self.lock = threading.Lock()

    def respond(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
        body = request.read()
        assert (request.method, request.url.path) == ("POST", "/v1/files")
        content = body.split(b"\r\n\r\n", 1)[1].split(b"\r\n--", 1)[0]
        return httpx.Response(201, json=file_object(int(content.decode()) if content.isdigit() else 0))

    def client(self) -> Client:
        return Client(api_token="r8_test", transport=httpx.MockTransport(self.respond))


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def encode(mode: str, value: Any, client: Client, strategy: Any = None) -> Any:
    if mode == "sync":
        return encode_json(value, client, strategy)
    return asyncio.run(async_encode_json(value, client, strategy))


def test_plain_values_pass_through_without_requests(mode: str) -> None:
    uploads = Uploads()
    value = {"prompt": "hi", "n": 2, "x": 0.5, "flag": True, "none": None, "list": [1, "a"], "tuple": (1, 2)}
    assert encode(mode, value, uploads.client()) == {**value, "tuple": [1, 2]}
    assert uploads.requests == []


def test_files_anywhere_are_uploaded_in_place(mode: str, tmp_path: Path) -> None:
    path = tmp_path / "photo.png"
    path.write_bytes(b"1")
    with open(tmp_path / "b.txt", "wb") as handle:
        handle.write(b"2")
    opened = open(tmp_path / "b.txt", "rb")  # noqa: SIM115 - closed below
    try:
        value = {"image": path, "nested": {"list": [opened, b"3", io.BytesIO(b"4")]}, "keep": "text"}
        encoded = encode(mode, value, Uploads().client())
    finally:
        opened.close()
    assert encoded == {
        "image": "https://api.replicate.com/v1/files/f1",
        "nested": {
            "list": [
                "https://api.replicate.com/v1/files/f2",
                "https://api.replicate.com/v1/files/f3",
                "https://api.replicate.com/v1/files/f4",
            ]
        },
        "keep": "text",
    }


def test_upload_request_is_multipart_with_the_file_name(tmp_path: Path) -> None:
    uploads = Uploads()
    path = tmp_path / "photo.png"
    path.write_bytes(b"7")
    encode_json({"image": path}, uploads.client())
    (request,) = uploads.requests
    assert request.headers["content-type"].startswith("multipart/form-data")
    assert b'name="content"; filename="photo.png"' in request.content
    assert b"Content-Type: image/png" in request.content
    assert request.headers["authorization"] == "Bearer r8_test"


def test_base64_strategy_inlines_data_uris_with_guessed_types(mode: str, tmp_path: Path) -> None:
    uploads = Uploads()
    path = tmp_path / "clip.wav"
    path.write_bytes(b"RIFF")
    encoded = encode(mode, {"audio": path, "raw": [b"\x00\x01"]}, uploads.client(), "base64")
    wav_type = mimetypes.guess_type("clip.wav")[0]  # audio/x-wav or audio/wav, by Python version
    assert encoded == {
        "audio": f"data:{wav_type};base64," + base64.b64encode(b"RIFF").decode(),
        "raw": ["data:application/octet-stream;base64,AAE="],
    }
    assert uploads.requests == []


def test_uploads_run_concurrently_in_threads() -> None:
    barrier = threading.Barrier(3, timeout=5)
    uploads = Uploads()

    def respond(request: httpx.Request) -> httpx.Response:
        barrier.wait()  # three uploads must be in flight at once to pass
        return uploads.respond(request)

    client = Client(transport=httpx.MockTransport(respond))
    encoded = encode_json([b"1", b"2", b"3"], client)
    assert encoded == [f"https://api.replicate.com/v1/files/f{n}" for n in (1, 2, 3)]


def test_async_uploads_run_concurrently() -> None:
    uploads = Uploads()
    in_flight: List[int] = []
    peak: List[int] = [0]

    async def respond(request: httpx.Request) -> httpx.Response:
        in_flight.append(1)
        peak[0] = max(peak[0], len(in_flight))
        await asyncio.sleep(0.01)
        in_flight.pop()
        return uploads.respond(request)

    async def go() -> Any:
        client = Client(transport=httpx.MockTransport(respond))
        return await async_encode_json({"a": b"1", "b": [b"2", b"3"]}, client)

    encoded = asyncio.run(go())
    assert encoded == {
        "a": "https://api.replicate.com/v1/files/f1",
        "b": ["https://api.replicate.com/v1/files/f2", "https://api.replicate.com/v1/files/f3"],
    }
    assert peak[0] == 3


def test_unreadable_path_names_its_place(mode: str, tmp_path: Path) -> None:
    ok = tmp_path / "ok.png"
    ok.write_bytes(b"1")
    with pytest.raises(FileNotFoundError, match=r"input\['images'\]\[1\]: cannot read"):
        encode_mode_input(mode, {"images": [ok, tmp_path / "missing.png"]})


def encode_mode_input(mode: str, value: Any) -> Any:
    client = Uploads().client()
    if mode == "sync":
        return encode_json(value, client, argument="input")
    return asyncio.run(async_encode_json(value, client, argument="input"))


@pytest.mark.parametrize(
    ("value", "error", "match"),
    [
        ({"images": ["a", object()]}, TypeError, r"input\['images'\]\[1\]: a value of type object"),
        ({"x": {"y": {1, object()}}}, TypeError, r"input\['x'\]\['y'\]\[\d\]: a value of type object"),
        ({"x": float("nan")}, ValueError, r"input\['x'\]: nan cannot be sent as JSON"),
        ({1: "a"}, TypeError, r"input: keys must be strings"),
    ],
)
def test_values_json_cannot_carry_raise_naming_their_place(mode: str, value: Any, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        encode_mode_input(mode, value)


def test_sets_frozensets_and_generators_are_sent_as_lists_as_in_v0(mode: str) -> None:
    def numbers() -> Any:
        yield 1
        yield b"file"

    encoded = encode_mode_input(mode, {"s": {"a"}, "f": frozenset([2]), "g": numbers(), "t": ((1, 2),)})
    assert encoded == {"s": ["a"], "f": [2], "g": [1, "https://api.replicate.com/v1/files/f0"], "t": [[1, 2]]}


def test_file_not_open_for_reading_is_refused(tmp_path: Path) -> None:
    with open(tmp_path / "w.bin", "wb") as handle, pytest.raises(ValueError, match=r"input\['f'\]: .*not open for reading"):
        encode_json({"f": handle}, Uploads().client())


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="file_encoding_strategy"):
        encode_json({"f": b"x"}, Uploads().client(), "zip")  # type: ignore[arg-type]


def test_numpy_values_become_plain_json() -> None:
    numpy = pytest.importorskip("numpy")
    encoded = encode_json({"a": numpy.array([[1, 2], [3, 4]]), "b": numpy.float32(0.5), "c": numpy.int64(3)}, Client())
    assert encoded == {"a": [[1, 2], [3, 4]], "b": 0.5, "c": 3}
    assert json.dumps(encoded)


def test_base64_encode_file_and_content_type(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('{"k": 1}')
    with path.open("rb") as handle:
        handle.read(2)  # a file read before still encodes from its start
        assert base64_encode_file(handle) == "data:application/json;base64," + base64.b64encode(b'{"k": 1}').decode()
    assert guess_content_type(io.BytesIO(b"")) == "application/octet-stream"
    assert base64_encode_file(io.StringIO("hé")) == "data:application/octet-stream;base64," + base64.b64encode("hé".encode()).decode()


def test_files_opened_from_paths_are_closed_and_callers_files_are_not(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.bin").write_bytes(b"1")
    (tmp_path / "b.bin").write_bytes(b"2")
    opened: List[Any] = []
    real_open = Path.open

    def recording_open(self: Path, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(self, *args, **kwargs)
        opened.append(handle)
        return handle

    monkeypatch.setattr(Path, "open", recording_open)
    mine = io.BytesIO(b"3")
    encode(mode, {"a": tmp_path / "a.bin", "b": [tmp_path / "b.bin", mine]}, Uploads().client())
    assert len(opened) == 2 and all(handle.closed for handle in opened)
    assert not mine.closed
    with pytest.raises(TypeError, match=r"input\['z'\]"):  # a failure later in the walk closes them too
        encode(mode, {"a": tmp_path / "a.bin", "z": object()}, Uploads().client())
    assert all(handle.closed for handle in opened)
