"""Encoding inputs (files anywhere in the input become URLs or data URIs) and outputs."""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import io
import logging
import math
import mimetypes
import os
import types
import urllib.parse
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    BinaryIO,
    Callable,
    Dict,
    Generator,
    Iterable,
    Iterator,
    List,
    Literal,
    Optional,
    Tuple,
    Union,
)

import httpx
from typing_extensions import TypeGuard

from replicate._json import is_array, is_mapping, is_object, is_sequence

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.file import File

FileEncodingStrategy = Literal["base64", "url"]

JSONValue = Union[str, int, float, bool, None, List[Any], Dict[str, Any]]
"""A model's output as the API sent it, with no FileOutput: `run(..., use_file_output=False)`."""

logger: logging.Logger = logging.getLogger("replicate")

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
    with _files_in(obj, argument) as (encoded, files):
        if not files:
            return encoded
        strategy = _check_strategy(file_encoding_strategy)
        if strategy == "base64":
            values = [base64_encode_file(file) for _, file in files]
        elif len(files) == 1:
            values = [_upload(client, files[0])]
        else:
            from concurrent.futures import ThreadPoolExecutor  # only for several files

            with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_UPLOADS, len(files))) as pool:
                values = list(pool.map(functools.partial(_upload, client), files))
        return _fill_slots(encoded, values)


async def async_encode_json(
    obj: Any,
    client: Client,
    file_encoding_strategy: Optional[FileEncodingStrategy] = None,
    *,
    argument: str = "input",
) -> Any:
    """Return `obj` ready to send as JSON, uploading its files concurrently with asyncio."""
    with _files_in(obj, argument) as (encoded, files):
        if not files:
            return encoded
        strategy = _check_strategy(file_encoding_strategy)
        if strategy == "base64":
            values = [base64_encode_file(file) for _, file in files]
        else:
            import asyncio  # here, not at import: sync-only programs never load it

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


@contextlib.contextmanager
def _files_in(obj: Any, where: str) -> Generator[Tuple[Any, List[Tuple[str, Any]]], None, None]:
    """`_collect_files`, closing the files it opened from paths when done (or on failure)."""
    opened: List[Any] = []
    try:
        yield _collect_files(obj, where, opened)
    finally:
        for file in opened:
            file.close()


# What v0 sends as a JSON array: sets and generators too, in their iteration order.
_SEQUENCES = (list, tuple, set, frozenset, types.GeneratorType)


def _is_sent_as_array(value: object) -> TypeGuard[Iterable[Any]]:
    return isinstance(value, _SEQUENCES)


def _collect_files(obj: Any, where: str, opened: List[Any]) -> Tuple[Any, List[Tuple[str, Any]]]:
    """Copy `obj` with files replaced by slots; return the copy and the (place, file) list."""
    files: List[Tuple[str, Any]] = []

    def walk(value: Any, place: str) -> Any:
        if value is None or isinstance(value, (str, bool, int)):
            return value
        if isinstance(value, float):
            if not math.isfinite(value):
                raise ValueError(f"{place}: {value!r} cannot be sent as JSON")
            return value
        if is_object(value):
            for key in value:
                if not isinstance(key, str):
                    raise TypeError(f"{place}: keys must be strings, got {key!r}")
            return {key: walk(item, f"{place}[{key!r}]") for key, item in value.items()}
        if _is_sent_as_array(value):
            return [walk(item, f"{place}[{index}]") for index, item in enumerate(value)]
        if isinstance(value, FileOutput):
            return value.url  # one model's output as another's input: no download, no upload
        file = _as_file(value, place)
        if isinstance(value, Path):
            opened.append(file)  # ours to close; the caller's own file objects stay open
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
    if is_object(obj):
        return {key: _fill_slots(item, values) for key, item in obj.items()}
    if is_array(obj):
        return [_fill_slots(item, values) for item in obj]
    return obj


def _as_file(value: Any, place: str) -> Optional[Any]:
    """An open binary file for a Path, bytes or file object; None for anything else."""
    if isinstance(value, Path):
        try:
            return value.open("rb")
        except OSError as exc:
            raise type(exc)(exc.errno, f"{place}: cannot read {str(value)!r}: {exc.strerror}") from exc
    if _is_bytes_like(value):
        return io.BytesIO(bytes(value))
    if isinstance(value, io.IOBase):
        if not value.readable():
            raise ValueError(f"{place}: the file object is not open for reading")
        return value
    return None


def _is_bytes_like(value: object) -> TypeGuard[Union[bytes, bytearray, memoryview]]:
    return isinstance(value, (bytes, bytearray, memoryview))


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
    from replicate.file import Files

    # A namespace of its own, as v0's `client.files` was: a patch of `replicate.files.create`
    # must not see the uploads that run() makes.
    place, file = item
    return _url_of(Files(client).create(file), place)


async def _async_upload(client: Client, item: Tuple[str, Any]) -> str:
    from replicate.file import Files

    place, file = item
    return _url_of(await Files(client).async_create(file), place)


def _url_of(uploaded: File, place: str) -> str:
    url = (uploaded.urls or {}).get("get")
    if not url:
        raise ValueError(f"{place}: the uploaded file {uploaded.id} has no urls.get to send")
    return str(url)



# --- outputs ---------------------------------------------------------------------------------

# How many times in a row a download may break off before the error reaches the caller.
MAX_DOWNLOAD_RESUMES = 5
# The file interface keeps this much of a file's start in memory: format sniffers (PIL) read
# the header, then seek back to 0. Other backward seeks download again from there (Range).
RETAINED_HEAD_BYTES = 1024 * 1024
# A forward seek closer than this reads through to the new position; a longer one asks for a Range.
FORWARD_SKIP_LIMIT = 1024 * 1024

_RESUMABLE_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.ReadTimeout)
_DISPLAYED_AS_BYTES = frozenset(["image/png", "image/jpeg", "image/gif"])
_EXTRA_TYPES = {".webp": "image/webp", ".avif": "image/avif", ".webm": "video/webm"}


class FileOutput(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A file a model produced, at a URL or in a `data:` URI.

    Whole-file reads give the whole file whatever happened before, and leave the position
    alone: `read()`, `await aread()`, `bytes(output)`, iteration (`for` / `async for`, in
    chunks), `save(path)` / `await asave(path)` and the notebook display. Each downloads the
    file again, as in v0.

    Positional reads behave as on a file opened with `open(path, "rb")`: `read(n)`, `read1`,
    `readinto`, `readline`, `readall` (the rest), `seek`, `tell`; `seek(0)` goes back to the
    start, and `io.TextIOWrapper` / `io.BufferedReader` can wrap it. A fresh output
    is at position 0, so `PIL.Image.open(output)` and `shutil.copyfileobj(output, f)` work on
    it; once a reader has moved the position, `output.seek(0)` first (or use `save`). They
    read straight from the download, keeping the file's first MiB (format sniffers seek back
    to 0); a seek elsewhere downloads from there with a Range request. A library that calls
    `read()` for the rest of a file after a seek (zipfile) takes `io.BufferedReader(output)`,
    whose `read()` is the rest.

    Outputs with the same URL are equal. Copies share the client; pickles hold only the URL,
    and an unpickled output downloads with `replicate.default_client`.
    """

    url: str
    """Where the file is: an `https:` URL or a `data:` URI."""

    def __init__(self, url: str, client: Optional[Client] = None) -> None:
        self.url = url
        self._client = client
        self._position = 0
        self._head = bytearray()  # the file's first bytes, up to RETAINED_HEAD_BYTES
        self._cursor: Optional[_Cursor] = None

    @property
    def client(self) -> Client:
        """The client whose HTTP connections download the file (without sending the API token)."""
        return self._client if self._client is not None else _default_client()

    # --- whole-file reads (v0's interface) ---

    def read(self, size: Optional[int] = -1) -> bytes:
        """The whole file; with a `size` of 0 or more, up to `size` bytes from the position."""
        limit = _size_limit(size)
        if limit is None:
            return b"".join(self)
        return self._read_at_position(limit)

    async def aread(self) -> bytes:
        """The whole file, downloaded asynchronously."""
        return b"".join([chunk async for chunk in self])

    def __bytes__(self) -> bytes:
        return self.read()

    def __iter__(self) -> Generator[bytes, None, None]:
        if self.url.startswith("data:"):
            yield decode_data_uri(self.url)
            return
        yield from self._download(_Download(self.url))

    def _download(self, download: _Download) -> Generator[bytes, None, None]:
        """The file's bytes from `download.received` on, resuming when the connection breaks."""
        http = self.client._client
        while True:
            try:
                with http.stream(
                    "GET", self.url, headers=download.headers(), follow_redirects=True
                ) as response:
                    download.start(response)
                    for chunk in response.iter_bytes():
                        chunk = download.accept(chunk)
                        if chunk:
                            yield chunk
                download.finish()
                return
            except _RESUMABLE_ERRORS as exc:
                download.interrupted(exc)

    async def __aiter__(self) -> AsyncIterator[bytes]:
        if self.url.startswith("data:"):
            yield decode_data_uri(self.url)
            return
        download = _Download(self.url)
        http = self.client._async_client
        while True:
            try:
                async with http.stream(
                    "GET", self.url, headers=download.headers(), follow_redirects=True
                ) as response:
                    download.start(response)
                    async for chunk in response.aiter_bytes():
                        chunk = download.accept(chunk)
                        if chunk:
                            yield chunk
                download.finish()
                return
            except _RESUMABLE_ERRORS as exc:
                download.interrupted(exc)

    def save(self, path: Union[str, os.PathLike[str]]) -> Path:
        """Write the whole file to `path` in constant memory; returns it as a Path.

        The file appears complete or not at all: it is written beside `path`, then renamed.
        """
        with _replacing(path) as (target, file):
            for chunk in self:
                file.write(chunk)
        return target

    async def asave(self, path: Union[str, os.PathLike[str]]) -> Path:
        """Write the whole file to `path`, downloading asynchronously; returns it as a Path."""
        with _replacing(path) as (target, file):
            async for chunk in self:
                file.write(chunk)  # a local write of one chunk: short enough for the event loop
        return target

    # --- positional reads: a binary file ---

    def readable(self) -> bool:
        """Always True: a FileOutput can be read."""
        return True

    def seekable(self) -> bool:
        """Always True: any position can be reached (by a new download if need be)."""
        return True

    def writable(self) -> bool:
        """Always False."""
        return False

    @property
    def closed(self) -> bool:
        """Always False: `close()` stops the download and drops what was kept; the output stays usable."""
        return False

    def fileno(self) -> int:
        """Raises io.UnsupportedOperation: the file is remote (`save(path)` gives a local one)."""
        raise io.UnsupportedOperation("a FileOutput has no file descriptor; save(path) writes a local file")

    def isatty(self) -> bool:
        """Always False."""
        return False

    def flush(self) -> None:
        """Does nothing: a FileOutput is read-only."""

    def readall(self) -> bytes:
        """The bytes from the position to the end of the file, as a raw file's `readall()`."""
        return self._read_at_position(None)

    def read1(self, size: Optional[int] = -1) -> bytes:
        """Up to `size` bytes from the position (as many as one chunk has, for a negative size)."""
        data = self._next_bytes(self._position, _size_limit(size))
        self._position += len(data)
        return data

    def readinto(self, buffer: Any) -> int:
        """Read from the position into a writable buffer; returns the number of bytes read."""
        view = memoryview(buffer).cast("B")
        data = self._read_at_position(len(view))
        view[: len(data)] = data
        return len(data)

    def readline(self, size: Optional[int] = -1) -> bytes:
        """The bytes from the position through the next b"\\n" (at most `size` of them)."""
        return self._read_at_position(_size_limit(size), line=True)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        """Move to a position (nothing is downloaded until the next read); returns it."""
        if isinstance(offset, bool) or not isinstance(offset, int):
            raise TypeError(f"offset must be an int, got {offset!r}")
        if whence == io.SEEK_SET:
            position = offset
        elif whence == io.SEEK_CUR:
            position = self._position + offset
        elif whence == io.SEEK_END:
            position = self._size() + offset
        else:
            raise ValueError(f"whence must be 0, 1 or 2, got {whence!r}")
        if position < 0:
            raise ValueError(f"negative seek position {position}")
        self._position = position
        return position

    def tell(self) -> int:
        """The current position in the file."""
        return self._position

    def close(self) -> None:
        """Stop any download in progress, drop the bytes kept and go back to position 0."""
        cursor, self._cursor = self._cursor, None
        if cursor is not None:
            cursor.close()
        self._head = bytearray()
        self._position = 0

    async def aclose(self) -> None:
        """Close the file (async form of `close`)."""
        self.close()

    def __enter__(self) -> FileOutput:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _read_at_position(self, limit: Optional[int], line: bool = False) -> bytes:
        """Up to `limit` bytes (all the rest for None) from the position, which advances.

        With `line`, stop after the first b"\\n".
        """
        parts: List[bytes] = []
        while limit is None or limit > 0:
            part = self._next_bytes(self._position, limit, line)
            if not part:
                break
            parts.append(part)
            self._position += len(part)
            if limit is not None:
                limit -= len(part)
            if line and part.endswith(b"\n"):
                break
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _next_bytes(self, position: int, limit: Optional[int], line: bool = False) -> bytes:
        """Some bytes at `position` (at most `limit`, through a newline with `line`):
        from the kept head, else from the download."""
        head = self._head
        if position < len(head):
            end = len(head) if limit is None else min(len(head), position + limit)
            newline = head.find(b"\n", position, end) if line else -1
            return bytes(head[position : end if newline < 0 else newline + 1])
        data = self._cursor_at(position).take(limit, line)
        self._keep(position, data)
        return data

    def _keep(self, offset: int, data: bytes) -> None:
        """Add the bytes read at `offset` to the head if they continue it (up to its size)."""
        if offset == len(self._head) < RETAINED_HEAD_BYTES:
            self._head += data[: RETAINED_HEAD_BYTES - offset]

    def _cursor_at(self, position: int) -> _Cursor:
        """A download whose next byte is at `position`: the current one if it gets there soon."""
        cursor = self._cursor
        if cursor is None or not cursor.offset <= position <= cursor.offset + FORWARD_SKIP_LIMIT:
            if cursor is not None:
                cursor.close()
            cursor = self._cursor = self._open(position)
        while cursor.offset < position:  # through the bytes skipped
            offset = cursor.offset
            data = cursor.take(position - offset)
            if not data:
                break
            self._keep(offset, data)
        return cursor

    def _open(self, offset: int) -> _Cursor:
        if self.url.startswith("data:"):
            data = decode_data_uri(self.url)
            return _Cursor(iter([data[offset:]]), offset, lambda: len(data))
        download = _Download(self.url, received=offset)
        return _Cursor(self._download(download), offset, lambda: download.total)

    def _size(self) -> int:
        """The file's length: from the download's headers, or by reading to the end."""
        cursor = self._cursor or self._cursor_at(self._position)
        size = cursor.size()
        while size is None:
            if not self._next_bytes(cursor.offset, None):
                size = cursor.offset
        return size

    # --- copies and pickles ---

    def __copy__(self) -> FileOutput:
        return type(self)(self.url, self._client)

    def __deepcopy__(self, memo: Dict[int, Any]) -> FileOutput:
        # A client is shared, never copied (its pools and locks cannot be); OpenTelemetry
        # deep-copies log records that hold outputs.
        return type(self)(self.url, self._client)

    def __reduce__(self) -> Tuple[Any, ...]:
        # The URL alone: the client (and its token) stays out of the pickle.
        return (type(self), (self.url,))

    def __eq__(self, other: object) -> bool:
        # Outputs are values: a copy (OpenTelemetry's log records hold deep copies) equals
        # the output it was made from.
        if not isinstance(other, FileOutput):
            return NotImplemented
        return self.url == other.url

    def __hash__(self) -> int:
        return hash(self.url)

    # --- display ---

    @property
    def content_type(self) -> str:
        """The MIME type, from the `data:` URI or the URL's file extension (no request made)."""
        return guess_url_content_type(self.url)

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None
    ) -> Optional[Dict[str, Any]]:
        """Jupyter's hook: images, audio and video show inline (downloading only here)."""
        content_type = self.content_type
        if content_type in _DISPLAYED_AS_BYTES:
            return {content_type: self.read(), "text/plain": repr(self)}
        if content_type == "image/svg+xml":
            return {content_type: self.read().decode("utf-8", "replace"), "text/plain": repr(self)}
        markup = self._repr_html_()
        if markup is not None:
            return {"text/html": markup, "text/plain": repr(self)}
        return None

    def _repr_png_(self) -> Optional[bytes]:
        """The whole file for a PNG image, for IPython's display; else None."""
        return self.read() if self.content_type == "image/png" else None

    def _repr_jpeg_(self) -> Optional[bytes]:
        """The whole file for a JPEG image, for IPython's display; else None."""
        return self.read() if self.content_type == "image/jpeg" else None

    def _repr_html_(self) -> Optional[str]:
        """A player for audio and video (an <img> for images shown by URL); else None."""
        kind = self.content_type.split("/", 1)[0]
        import html  # notebooks only

        src = html.escape(self.url, quote=True)
        if kind == "image" and self.content_type not in _DISPLAYED_AS_BYTES:
            return f'<img src="{src}">'
        if kind in ("audio", "video"):
            return f'<{kind} controls src="{src}"></{kind}>'
        return None

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}("{self.url}")'


def _size_limit(size: Optional[int]) -> Optional[int]:
    """A read's `size` as a limit: None for "everything" (None or negative)."""
    if size is None:
        return None
    if isinstance(size, bool) or not isinstance(size, int):
        raise TypeError(f"size must be an int or None, got {size!r}")
    return None if size < 0 else size


@contextlib.contextmanager
def _replacing(path: Union[str, os.PathLike[str]]) -> Generator[Tuple[Path, BinaryIO], None, None]:
    """A file written beside `path` that replaces it once the block succeeds (else is removed)."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a str or os.PathLike, got {path!r}")
    import tempfile  # only when saving: a cold run() does without it

    target = Path(path)
    descriptor, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.partial-")
    try:
        with os.fdopen(descriptor, "wb") as file:
            yield target, file
        os.replace(partial, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise


def _default_client() -> Client:
    import replicate

    return replicate.default_client


class _Cursor:
    """A download under way: hands out its bytes in order, counting their offset in the file."""

    def __init__(self, chunks: Iterator[bytes], offset: int, total: Callable[[], Optional[int]]) -> None:
        self.offset = offset
        """Where in the file the next byte handed out is."""
        self._chunks = chunks
        self._total = total
        self._chunk = b""  # the chunk being handed out, from `_start` on
        self._start = 0

    def take(self, limit: Optional[int], line: bool = False) -> bytes:
        """The next bytes, at most `limit` (a chunk for None), through the first b"\\n" with
        `line`; b"" at the end of the file."""
        chunk, start = self._chunk, self._start
        if start >= len(chunk):
            chunk, start = next(self._chunks, b""), 0
        end = len(chunk) if limit is None else min(len(chunk), start + limit)
        if line:
            newline = chunk.find(b"\n", start, end)
            if newline >= 0:
                end = newline + 1
        data = chunk if start == 0 and end == len(chunk) else chunk[start:end]  # whole chunks go out without a copy
        self._chunk, self._start = chunk, end
        self.offset += len(data)
        return data

    def size(self) -> Optional[int]:
        """The file's length once the response has said it (starting the download if needed)."""
        if self._total() is None and self._start >= len(self._chunk):
            self._chunk, self._start = next(self._chunks, b""), 0
            if not self._chunk and self._total() is None:
                return self.offset
        return self._total()

    def close(self) -> None:
        close = getattr(self._chunks, "close", None)
        if close is not None:
            close()


class _Download:
    """The progress of one download, so a broken body can resume where it stopped.

    A resumed request asks for `Range: bytes=<received>-`; a 206 answer continues the body, a
    200 answer starts over and the bytes already delivered are skipped.
    """

    def __init__(self, url: str, received: int = 0) -> None:
        self.url = url
        self.received = received
        """Where the next byte delivered is in the file (a download may start past 0)."""
        self.expected: Optional[int] = None
        self.total: Optional[int] = None
        """The file's length, once a response has said it."""
        self.etag: Optional[str] = None
        self.skip = 0
        self.failures = 0

    def headers(self) -> Dict[str, str]:
        if not self.received:
            return {}
        headers = {"Range": f"bytes={self.received}-"}
        if self.etag and not self.etag.startswith("W/"):
            headers["If-Range"] = self.etag  # a changed file comes back whole, never spliced
        return headers

    def start(self, response: httpx.Response) -> None:
        if response.status_code == 416 and self.received:
            # Nothing starts there: the position is at or past the end (a file's read gives b"").
            self.total = _content_range(response)[1]
            self.expected = None
            self.skip = -1  # drop the error body
            return
        response.raise_for_status()
        if not self.received:
            self.etag = response.headers.get("etag")
            self.expected = self.total = _plain_length(response)
            self.skip = 0
            return
        start, total = _content_range(response) if response.status_code == 206 else (0, _plain_length(response))
        if self.total is None:
            self.total = self.expected = total
        if start is None or start > self.received:
            raise httpx.RemoteProtocolError(
                f"cannot resume {_loggable(self.url)}: the server sent "
                f"Content-Range {response.headers.get('content-range')!r} for bytes={self.received}-",
                request=response.request,
            )
        self.skip = self.received - start

    def accept(self, chunk: bytes) -> bytes:
        if self.skip < 0:
            return b""
        if self.skip:
            dropped = min(self.skip, len(chunk))
            self.skip -= dropped
            chunk = chunk[dropped:]
        if chunk:
            self.received += len(chunk)
            self.failures = 0
        return chunk

    def finish(self) -> None:
        if self.expected is not None and self.received < self.expected:
            # The connection ended cleanly but early; resume it like any other break.
            raise httpx.RemoteProtocolError(
                f"{_loggable(self.url)} ended after {self.received} of {self.expected} bytes"
            )

    def interrupted(self, exc: Exception) -> None:
        self.failures += 1
        if self.failures > MAX_DOWNLOAD_RESUMES:
            raise exc
        logger.debug("download of %s broke off after %d bytes; resuming", _loggable(self.url), self.received)


def _plain_length(response: httpx.Response) -> Optional[int]:
    if response.headers.get("content-encoding", "identity") != "identity":
        return None  # the length counts compressed bytes, not the ones we deliver
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _content_range(response: httpx.Response) -> Tuple[Optional[int], Optional[int]]:
    """The first byte and the file's length from `Content-Range: bytes first-last/length`."""
    unit, _, spec = response.headers.get("content-range", "").partition(" ")
    if unit != "bytes":
        return None, None
    first = spec.partition("-")[0]
    length = spec.rpartition("/")[2]  # also in a 416's `bytes */length`
    return (int(first) if first.isdigit() else None), (int(length) if length.isdigit() else None)


def _loggable(url: str) -> str:
    return url.split("?", 1)[0]


def decode_data_uri(uri: str) -> bytes:
    """The bytes a `data:` URI carries (base64 or percent-encoded)."""
    header, separator, payload = uri.partition(",")
    if not separator:
        raise ValueError(f"malformed data URI (no comma): {uri[:40]!r}")
    if header.endswith(";base64"):
        # Strict: a lenient decode drops stray characters and returns the wrong bytes silently.
        encoded = "".join(urllib.parse.unquote(payload).split())
        try:
            return base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise binascii.Error(
                f"the data URI {uri[:40]!r}... does not hold valid base64 ({exc})"
            ) from None
    return urllib.parse.unquote_to_bytes(payload)


def guess_url_content_type(url: str) -> str:
    """The MIME type of a URL or `data:` URI; application/octet-stream when unknown."""
    if url.startswith("data:"):
        media_type = url[len("data:") :].split(",", 1)[0].split(";", 1)[0]
        return media_type or "text/plain"
    path = urllib.parse.urlsplit(url).path
    extension = os.path.splitext(path)[1].lower()
    if extension in _EXTRA_TYPES:
        return _EXTRA_TYPES[extension]
    mime_type, _ = mimetypes.guess_type(path)
    return mime_type or "application/octet-stream"


_FILE_URL_PREFIXES = ("https:", "http:", "data:")


def transform_output(value: Any, client: Client) -> Any:
    """`value` with every URL or data URI string, anywhere in dicts and lists, as a FileOutput."""
    if isinstance(value, str):
        return FileOutput(value, client) if value.startswith(_FILE_URL_PREFIXES) else value
    if is_mapping(value):
        return {key: transform_output(item, client) for key, item in value.items()}
    if is_sequence(value):
        return [transform_output(item, client) for item in value]
    return value
