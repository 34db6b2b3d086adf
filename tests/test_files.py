"""Files: create (multipart upload), get, list (a list, as in v0) and delete (a bool)."""

from __future__ import annotations

import io
import json
import pathlib
from typing import Any

import pytest
from namespace_helpers import FILE, api, assert_request, both_modes, call, page

from replicate.file import File


def multipart(request: Any) -> dict:
    """The parts of a multipart request: name -> (filename, content type, payload)."""
    boundary = request.headers["content-type"].split("boundary=")[1].encode()
    parts = {}
    for chunk in request.content.split(b"--" + boundary)[1:-1]:
        head, _, payload = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        fields = dict(
            item.strip().split("=", 1) for item in head.decode().split("\r\n")[0].split(";")[1:]
        )
        content_type = None
        for line in head.decode().split("\r\n")[1:]:
            if line.lower().startswith("content-type:"):
                content_type = line.split(":", 1)[1].strip()
        name = fields["name"].strip('"')
        parts[name] = (fields.get("filename", "").strip('"') or None, content_type, payload)
    return parts


def assert_file(file: Any) -> None:
    assert isinstance(file, File)
    assert (file.id, file.name, file.content_type, file.size) == (
        FILE["id"], "hello.txt", "text/plain", 5,
    )
    assert file.checksums["sha256"].startswith("2cf24dba")
    assert file.metadata == {"purpose": "test"}
    assert file.urls["get"].endswith(FILE["id"])


@both_modes
async def test_create_from_a_path(mode: str, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "hello.txt"
    path.write_bytes(b"hello")
    fake, client = api((201, FILE))
    file = await call(mode, client.files, "create", path, metadata={"purpose": "test"})
    request = fake.request
    assert_request(request, "POST", "/v1/files", content=request.content)
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    parts = multipart(request)
    assert parts["content"] == ("hello.txt", "text/plain", b"hello")
    assert json.loads(parts["metadata"][2]) == {"purpose": "test"}
    assert_file(file)


@both_modes
async def test_create_from_an_open_file_and_a_string_path(mode: str, tmp_path: pathlib.Path) -> None:
    path = tmp_path / "image.png"
    path.write_bytes(b"\x89PNG")
    fake, client = api((201, FILE), (201, FILE))
    with path.open("rb") as handle:
        await call(mode, client.files, "create", handle)
    await call(mode, client.files, "create", str(path), filename="renamed.png", content_type="image/x-test")
    first, second = (multipart(request) for request in fake.requests)
    assert first == {"content": ("image.png", "image/png", b"\x89PNG")}
    assert second == {"content": ("renamed.png", "image/x-test", b"\x89PNG")}


@both_modes
async def test_create_with_the_newer_sdk_content_keyword(mode: str) -> None:
    fake, client = api((201, FILE))
    await call(mode, client.files, "create", content=io.BytesIO(b"hello"), filename="hello.txt")
    assert multipart(fake.request) == {"content": ("hello.txt", "text/plain", b"hello")}


@both_modes
async def test_create_rejects_missing_or_unreadable_files(mode: str, tmp_path: pathlib.Path) -> None:
    fake, client = api()
    unsupported = r"^Unsupported file type\. Must be a file path or file-like object\.$"  # v0's message
    with pytest.raises(ValueError, match=unsupported):
        await call(mode, client.files, "create")
    with pytest.raises(ValueError, match=unsupported):
        await call(mode, client.files, "create", 42)
    with pytest.raises(FileNotFoundError, match=r"missing\.txt"):
        await call(mode, client.files, "create", tmp_path / "missing.txt")
    assert fake.requests == []


@both_modes
async def test_create_ignores_unknown_keywords_with_a_warning_as_v0_ignores_them(mode: str) -> None:
    fake, client = api((201, FILE))
    with pytest.warns(UserWarning, match="ignoring unknown keyword argument.*files.create: colour"):
        await call(mode, client.files, "create", b"x", colour="red")
    assert fake.request.url.path == "/v1/files"


def test_file_encoding_strategy_is_importable_from_replicate_file_as_in_v0() -> None:
    from typing import get_args

    from replicate.file import FileEncodingStrategy

    assert set(get_args(FileEncodingStrategy)) == {"base64", "url"}


@both_modes
async def test_get(mode: str) -> None:
    fake, client = api((200, FILE))
    file = await call(mode, client.files, "get", FILE["id"])
    assert_request(fake.request, "GET", f"/v1/files/{FILE['id']}")
    assert_file(file)


@both_modes
async def test_list_returns_a_list_of_files(mode: str) -> None:
    fake, client = api((200, page([FILE], next="https://api.replicate.com/v1/files?cursor=x")))
    files = await call(mode, client.files, "list")
    assert_request(fake.request, "GET", "/v1/files")
    assert isinstance(files, list)
    assert_file(files[0])


@both_modes
async def test_delete_returns_true_on_204(mode: str) -> None:
    fake, client = api((204, None))
    assert await call(mode, client.files, "delete", FILE["id"]) is True
    assert_request(fake.request, "DELETE", f"/v1/files/{FILE['id']}")


@both_modes
async def test_get_rejects_an_empty_id(mode: str) -> None:
    fake, client = api()
    with pytest.raises(ValueError, match="file_id"):
        await call(mode, client.files, "get", "")
    assert fake.requests == []
