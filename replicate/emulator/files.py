"""File storage: multipart uploads, signed download URLs, output delivery, Range serving."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import mimetypes
import os
import pathlib
import re
import secrets
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Dict, Iterator, Optional, Tuple, cast
from urllib.parse import quote, unquote

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from ._util import ApiError

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

CHUNK_SIZE = 256 * 1024


def guess_content_type(filename: str, head: bytes = b"") -> str:
    """Content type from the file name, falling back to a few magic numbers."""
    guessed, _ = mimetypes.guess_type(filename)
    if guessed:
        return guessed
    for magic, mime in _MAGIC:
        if head.startswith(magic):
            return mime
    return "application/octet-stream"


_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF8", "image/gif"),
    (b"RIFF", "audio/wav"),
    (b"%PDF", "application/pdf"),
]

_EXTENSIONS = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/gif": ".gif",
    "audio/wav": ".wav",
    "application/pdf": ".pdf",
}


def extension_for(content_type: str) -> str:
    """A file extension for a content type (``.bin`` when unknown)."""
    return _EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"


# -- uploads ----------------------------------------------------------------------


@dataclass
class UploadResult:
    """What a multipart upload produced (the content already on disk)."""

    path: str
    size: int
    sha256: str
    md5: str
    part_filename: Optional[str]
    part_content_type: Optional[str]
    fields: Dict[str, str]


class _UploadSink:
    """Receives multipart callbacks; streams the ``content`` part to disk."""

    def __init__(self, directory: str, limit: int) -> None:
        self.directory = directory
        self.limit = limit
        self.too_large = False
        self.fields: Dict[str, str] = {}
        self.content: Optional[UploadResult] = None
        self._header_field = b""
        self._header_value = b""
        self._headers: Dict[bytes, bytes] = {}
        self._name = ""
        self._filename: Optional[str] = None
        self._buffer = bytearray()
        self._file: Optional[Any] = None
        self._path = ""
        self._size = 0
        self._sha256 = hashlib.sha256()
        self._md5 = hashlib.md5()

    def callbacks(self) -> MultipartCallbacks:
        """The callback table python-multipart's parser expects."""
        return {
            "on_part_begin": self._part_begin,
            "on_header_field": self._header_field_cb,
            "on_header_value": self._header_value_cb,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
        }

    def _part_begin(self) -> None:
        self._headers = {}
        self._name, self._filename = "", None
        self._buffer = bytearray()

    def _header_field_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _header_value_cb(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_field.lower()] = self._header_value
        self._header_field, self._header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        self._name = options.get(b"name", b"").decode("utf-8", "replace")
        filename = options.get(b"filename")
        self._filename = filename.decode("utf-8", "replace") if filename is not None else None
        if self._name == "content":
            fd, path = tempfile.mkstemp(dir=self.directory, prefix="upload-")
            self._file = os.fdopen(fd, "wb")
            self._path = path
            self._size = 0

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self._name != "content":
            if len(self._buffer) + len(chunk) > 1024 * 1024:
                raise ApiError(413, f"Form field {self._name!r} is too large")
            self._buffer += chunk
            return
        self._size += len(chunk)
        if self._size > self.limit:
            self.too_large = True
        if self.too_large or self._file is None:
            return  # keep draining the request, but stop storing it
        self._file.write(chunk)
        self._sha256.update(chunk)
        self._md5.update(chunk)

    def _part_end(self) -> None:
        if self._name != "content":
            self.fields[self._name] = self._buffer.decode("utf-8", "replace")
            return
        if self._file is not None:
            self._file.close()
            self._file = None
        content_type = self._headers.get(b"content-type")
        self.content = UploadResult(
            path=self._path,
            size=self._size,
            sha256=self._sha256.hexdigest(),
            md5=self._md5.hexdigest(),
            part_filename=self._filename,
            part_content_type=content_type.decode("latin-1") if content_type else None,
            fields=self.fields,
        )

    def discard(self) -> None:
        """Delete whatever was written for a rejected upload."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.content is not None:
            _unlink(self.content.path)


async def receive_upload(request: Request, directory: str, limit: int) -> UploadResult:
    """Parse a ``multipart/form-data`` upload, streaming the content part to disk."""
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type != b"multipart/form-data" or b"boundary" not in options:
        raise ApiError(415, "Files must be uploaded as multipart/form-data")
    # Oversized bodies are drained rather than refused up front: a client still
    # writing its body would otherwise see a reset instead of the 413.
    sink = _UploadSink(directory, limit)
    parser = MultipartParser(options[b"boundary"], sink.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except ApiError:
        sink.discard()
        raise
    except Exception as exc:
        sink.discard()
        raise ApiError(400, f"Malformed multipart body: {exc}")
    if sink.too_large:
        sink.discard()
        raise ApiError(413, f"File is too large; the limit is {limit} bytes")
    if sink.content is None:
        raise ApiError(422, "The multipart body has no 'content' part")
    return sink.content


def parse_metadata(raw: Optional[str]) -> Dict[str, Any]:
    """The ``metadata`` form field as a JSON object (default ``{}``)."""
    if raw is None or raw.strip() == "":
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ApiError(422, "metadata must be valid JSON")
    if not isinstance(value, dict):
        raise ApiError(422, "metadata must be a JSON object")
    return cast("Dict[str, Any]", value)


# -- signed downloads ---------------------------------------------------------------


class DownloadSigner:
    """Signs ``GET /v1/files/{id}/download`` URLs.

    ``signature = base64(HMAC-SHA256(secret, f"{owner} {file_id} {expiry}"))`` with
    standard base64 (URL-encoded in the query), ``expiry`` a Unix timestamp. The
    download is refused once ``expiry`` has passed or when the signature differs.
    """

    def __init__(self, secret: Optional[bytes] = None) -> None:
        self.secret: bytes = secret or secrets.token_bytes(32)

    def signature(self, owner: str, file_id: str, expiry: int) -> str:
        """The base64 HMAC for ``owner``, ``file_id`` and ``expiry``."""
        message = f"{owner} {file_id} {expiry}".encode()
        return base64.b64encode(hmac.new(self.secret, message, hashlib.sha256).digest()).decode()

    def verify(self, owner: str, file_id: str, expiry: int, signature: str) -> bool:
        """Whether a download request's signature is valid and unexpired."""
        if expiry < time.time():
            return False
        return hmac.compare_digest(self.signature(owner, file_id, expiry), signature)

    def query(self, owner: str, file_id: str, expiry: int) -> str:
        """The ``owner=&expiry=&signature=`` query string of a signed URL."""
        sig = quote(self.signature(owner, file_id, expiry), safe="")
        return f"owner={quote(owner, safe='')}&expiry={expiry}&signature={sig}"


# -- delivery of outputs ------------------------------------------------------------


@dataclass
class DeliveredFile:
    """A file served from the delivery origin."""

    token: str
    path: str
    filename: str
    content_type: str
    size: int


class DeliveryStore:
    """Files served at ``/delivery/{token}/{filename}``; kept in a private temp dir."""

    def __init__(self, directory: str) -> None:
        self.directory = directory
        self._files: Dict[str, DeliveredFile] = {}
        self._lock = threading.Lock()

    def add_path(self, source: str, filename: Optional[str] = None) -> DeliveredFile:
        """Snapshot a file (hard link when possible, else copy) and register it."""
        token = secrets.token_urlsafe(24)
        name = _safe_name(filename or os.path.basename(source) or "output")
        folder = os.path.join(self.directory, token)
        os.makedirs(folder)
        target = os.path.join(folder, name)
        try:
            os.link(source, target)
        except OSError:
            shutil.copyfile(source, target)
        with open(target, "rb") as handle:
            head = handle.read(16)
        return self._register(token, target, name, guess_content_type(name, head))

    def add_bytes(self, data: bytes, filename: Optional[str] = None) -> DeliveredFile:
        """Write bytes to a new delivered file (name guessed from magic numbers)."""
        token = secrets.token_urlsafe(24)
        content_type = guess_content_type(filename or "", data[:16])
        name = _safe_name(filename or "output" + extension_for(content_type))
        folder = os.path.join(self.directory, token)
        os.makedirs(folder)
        target = os.path.join(folder, name)
        with open(target, "wb") as handle:
            handle.write(data)
        return self._register(token, target, name, content_type)

    def get(self, token: str) -> Optional[DeliveredFile]:
        """The delivered file for ``token``, if any."""
        with self._lock:
            return self._files.get(token)

    def _register(self, token: str, path: str, name: str, content_type: str) -> DeliveredFile:
        record = DeliveredFile(token, path, name, content_type, os.path.getsize(path))
        with self._lock:
            self._files[token] = record
        return record


def _safe_name(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", os.path.basename(name)).strip("._")
    return cleaned or "output"


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# -- file inputs --------------------------------------------------------------------


def named_link(path: str, name: str) -> pathlib.Path:
    """A path to the upload that carries its original file name (models look at suffixes)."""
    folder = path + ".d"
    target = os.path.join(folder, os.path.basename(name) or "file")
    if not os.path.exists(target):
        os.makedirs(folder, exist_ok=True)
        try:
            os.link(path, target)
        except FileExistsError:
            pass
        except OSError:
            shutil.copyfile(path, target)
    return pathlib.Path(target)


def write_data_uri(uri: str, directory: str) -> pathlib.Path:
    """Decode a ``data:`` URI into a new file in ``directory``."""
    header, _, payload = uri[5:].partition(",")
    params = header.split(";")
    content_type = params[0] or "text/plain"
    try:
        data = (
            base64.b64decode(payload, validate=False)
            if "base64" in params[1:]
            else unquote(payload).encode()
        )
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"invalid data URI: {exc}")
    fd, path = tempfile.mkstemp(dir=directory, prefix="input-", suffix=extension_for(content_type))
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    return pathlib.Path(path)


# -- serving with Range support -----------------------------------------------------

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


def content_disposition(filename: str) -> str:
    """An ``inline`` disposition that survives non-ASCII names (RFC 6266/5987)."""
    fallback = re.sub(r'[^\x20-\x7e]|["\\]', "_", filename)
    if fallback == filename:
        return f'inline; filename="{filename}"'
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def parse_range(header: Optional[str], size: int) -> Optional[Tuple[int, int]]:
    """Return an inclusive (start, end) for a single byte range, None for the whole body.

    Raises ApiError(416) when the range cannot be satisfied.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip())
    if not match:
        return None  # multi-range or other units: serve the full body, as RFC 9110 allows
    first, last = match.groups()
    if first == "" and last == "":
        return None
    if first == "":
        length = int(last)
        if length == 0:
            raise ApiError(
                416, "Range not satisfiable", headers={"Content-Range": f"bytes */{size}"}
            )
        return max(0, size - length), size - 1
    start = int(first)
    end = int(last) if last else size - 1
    if start >= size or end < start:
        raise ApiError(416, "Range not satisfiable", headers={"Content-Range": f"bytes */{size}"})
    return start, min(end, size - 1)


def _read_chunks(path: str, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        remaining = length
        while remaining > 0:
            chunk = handle.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


def serve_file(
    request: Request,
    path: str,
    *,
    filename: str,
    content_type: str,
    etag: Optional[str] = None,
    ranges: bool = True,
) -> Response:
    """Stream a file from disk in constant memory, honouring a single Range."""
    size = os.path.getsize(path)
    headers = {
        "Content-Type": content_type,
        "Content-Disposition": content_disposition(filename),
        "Cache-Control": "public, max-age=3600",
    }
    if etag:
        headers["ETag"] = f'"{etag}"'
    status = 200
    start, length = 0, size
    if ranges:
        headers["Accept-Ranges"] = "bytes"
        span = parse_range(request.headers.get("range"), size)
        if span is not None:
            start, end = span
            length = end - start + 1
            status = 206
            headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        return Response(status_code=status, headers=headers)
    return StreamingResponse(_read_chunks(path, start, length), status_code=status, headers=headers)
