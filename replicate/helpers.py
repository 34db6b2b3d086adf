"""Encoding inputs (files anywhere in the input become URLs or data URIs) and outputs."""

from __future__ import annotations

import asyncio
import base64
import io
import math
import mimetypes
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, List, Literal, Optional, Tuple

if TYPE_CHECKING:
    from replicate.client import Client

FileEncodingStrategy = Literal["base64", "url"]

# At most this many uploads run at once for one input.
MAX_CONCURRENT_UPLOADS = 4


def encode_json(
    obj: Any,
    client: Client,
    file_encoding_strategy: Optional[FileEncodingStrategy] = None,
    *,
    argument: str = "input",
) -> Any:
    """Return `obj` ready to send as JSON: files become upload URLs (or data URIs with "base64").

    Several files in one input upload concurrently. An unreadable file or a value that
    JSON cannot carry raises an error naming its place, e.g. ``input['images'][1]``.
    """
    encoded, files = _collect_files(obj, argument)
    if not files:
        return encoded
    strategy = _check_strategy(file_encoding_strategy)
    if strategy == "base64":
        values = [base64_encode_file(file) for _, file in files]
    elif len(files) == 1:
        values = [_upload(client, files[0])]
    else:
        with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_UPLOADS, len(files))) as pool:
            values = list(pool.map(lambda item: _upload(client, item), files))
    return _fill_slots(encoded, values)


async def async_encode_json(
    obj: Any,
    client: Client,
    file_encoding_strategy: Optional[FileEncodingStrategy] = None,
    *,
    argument: str = "input",
) -> Any:
    """Return `obj` ready to send as JSON, uploading its files concurrently with asyncio."""
    encoded, files = _collect_files(obj, argument)
    if not files:
        return encoded
    strategy = _check_strategy(file_encoding_strategy)
    if strategy == "base64":
        values = [base64_encode_file(file) for _, file in files]
    else:
        limit = asyncio.Semaphore(MAX_CONCURRENT_UPLOADS)

        async def upload(item: Tuple[str, Any]) -> str:
            async with limit:
                return await _async_upload(client, item)

        values = list(await asyncio.gather(*(upload(item) for item in files)))
    return _fill_slots(encoded, values)


def base64_encode_file(file: io.IOBase) -> str:
    """A `data:` URI holding the file's bytes, with the MIME type guessed from its name."""
    file.seek(0)
    body = file.read()
    if isinstance(body, str):
        body = body.encode("utf-8")
    encoded = base64.b64encode(body).decode("utf-8")
    return f"data:{guess_content_type(file)};base64,{encoded}"


def guess_content_type(file: Any) -> str:
    """The MIME type for a file, from its name; application/octet-stream when unknown."""
    name = getattr(file, "name", None)
    if isinstance(name, (str, os.PathLike)):
        mime_type, _ = mimetypes.guess_type(os.fspath(name))
        if mime_type:
            return mime_type
    return "application/octet-stream"


# --- the walk over an input ------------------------------------------------------------------


class _FileSlot:
    """Stands where a file was in the input until its URL or data URI is known."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index


def _collect_files(obj: Any, where: str) -> Tuple[Any, List[Tuple[str, Any]]]:
    """Copy `obj` with files replaced by slots; return the copy and the (place, file) list."""
    files: List[Tuple[str, Any]] = []

    def walk(value: Any, place: str) -> Any:
        if value is None or isinstance(value, (str, bool, int)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"{place}: {value!r} cannot be sent as JSON")
            return value
        if isinstance(value, dict):
            for key in value:
                if not isinstance(key, str):
                    raise TypeError(f"{place}: keys must be strings, got {key!r}")
            return {key: walk(item, f"{place}[{key!r}]") for key, item in value.items()}
        if isinstance(value, (list, tuple)):
            return [walk(item, f"{place}[{index}]") for index, item in enumerate(value)]
        file = _as_file(value, place)
        if file is not None:
            files.append((place, file))
            return _FileSlot(len(files) - 1)
        converted = _from_numpy(value)
        if converted is not _NOT_CONVERTED:
            return walk(converted, place)
        raise TypeError(
            f"{place}: a value of type {type(value).__name__} cannot be sent as JSON "
            "(use str, int, float, bool, None, lists, dicts, Path, bytes or an open file)"
        )

    return walk(obj, where), files


def _fill_slots(obj: Any, values: List[str]) -> Any:
    if isinstance(obj, _FileSlot):
        return values[obj.index]
    if isinstance(obj, dict):
        return {key: _fill_slots(item, values) for key, item in obj.items()}
    if isinstance(obj, list):
        return [_fill_slots(item, values) for item in obj]
    return obj


def _as_file(value: Any, place: str) -> Optional[Any]:
    """An open binary file for a Path, bytes or file object; None for anything else."""
    if isinstance(value, Path):
        try:
            return value.open("rb")
        except OSError as exc:
            raise type(exc)(exc.errno, f"{place}: cannot read {str(value)!r}: {exc.strerror}") from exc
    if isinstance(value, (bytes, bytearray, memoryview)):
        return io.BytesIO(bytes(value))
    if isinstance(value, io.IOBase):
        if not value.readable():
            raise ValueError(f"{place}: the file object is not open for reading")
        return value
    return None


_NOT_CONVERTED = object()


def _from_numpy(value: Any) -> Any:
    """A plain Python value for a numpy scalar or array; _NOT_CONVERTED for anything else."""
    if type(value).__module__ == "numpy" and hasattr(value, "tolist"):
        return value.tolist()
    return _NOT_CONVERTED


def _check_strategy(strategy: Optional[str]) -> str:
    strategy = strategy or "url"
    if strategy not in ("url", "base64"):
        raise ValueError(f"file_encoding_strategy must be 'url' or 'base64', got {strategy!r}")
    return strategy


def _upload(client: Client, item: Tuple[str, Any]) -> str:
    place, file = item
    return _url_of(client.files.create(file), place)


async def _async_upload(client: Client, item: Tuple[str, Any]) -> str:
    place, file = item
    return _url_of(await client.files.async_create(file), place)


def _url_of(uploaded: Any, place: str) -> str:
    url = (uploaded.urls or {}).get("get")
    if not url:
        raise ValueError(f"{place}: the uploaded file {uploaded.id} has no urls.get to send")
    return str(url)

