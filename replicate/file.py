"""Files: the `File` resource and the `Files` namespace (uploads for model inputs)."""

from __future__ import annotations

import contextlib
import io
import json
import os
import pathlib
import stat
import warnings
from typing import Any, BinaryIO, Dict, Generator, List, Mapping, Optional, Union, cast

import httpx
from typing_extensions import NotRequired, TypedDict, Unpack

from replicate._operation import Operation, parse_deleted, path_segment
from replicate.helpers import FileEncodingStrategy as FileEncodingStrategy  # v0 defines it here
from replicate.helpers import guess_content_type
from replicate.pagination import Page, parse_page
from replicate.resource import Namespace, Resource, parse_resource, parse_resource_list

MAX_FILE_SIZE = 100 * 1024 * 1024
"""The largest file the API accepts (100 MiB)."""


class File(Resource):
    """A file uploaded to Replicate, usable as a prediction input through `urls["get"]`."""

    id: str
    """The ID of the file."""

    name: str
    """The name of the file."""

    content_type: str
    """The content type of the file."""

    size: int
    """The size of the file in bytes."""

    etag: str
    """The ETag of the file."""

    checksums: Dict[str, str]
    """The checksums of the file, e.g. `sha256`."""

    metadata: Dict[str, Any]
    """The metadata given when the file was created."""

    created_at: str
    """When the file was created."""

    expires_at: Optional[str] = None
    """When the file expires."""

    urls: Dict[str, str]
    """URLs of the file; `get` is the one to use as a model input."""


FileInput = Union[str, pathlib.Path, BinaryIO, io.IOBase, bytes]


class Files(Namespace):
    """Namespace for operations related to files."""

    class CreateFileParams(TypedDict):
        """Parameters for creating a file."""

        filename: NotRequired[str]
        """The name to give the file; by default its own name."""

        content_type: NotRequired[str]
        """The MIME type; by default guessed from the name."""

        metadata: NotRequired[Dict[str, Any]]
        """Metadata to keep with the file."""

        content: NotRequired[FileInput]
        """The file, by the newer SDK's name (instead of the positional argument)."""

        type: NotRequired[str]
        """The MIME type, by the newer SDK's name."""

    def create(
        self,
        file: Optional[FileInput] = None,
        **params: Unpack[Files.CreateFileParams],
    ) -> File:
        """Upload a file: a path, an open binary file, or bytes (also as `content=`)."""
        with _opened(file, params) as (handle, options):
            return self._client._execute(self._create(handle, options))

    async def async_create(
        self,
        file: Optional[FileInput] = None,
        **params: Unpack[Files.CreateFileParams],
    ) -> File:
        """Upload a file: a path, an open binary file, or bytes (also as `content=`)."""
        with _opened(file, params) as (handle, options):
            return await self._client._async_execute(self._create(handle, options))

    def get(self, file_id: str) -> File:
        """Get a file's metadata by ID."""
        return self._client._execute(self._get(file_id))

    async def async_get(self, file_id: str) -> File:
        """Get a file's metadata by ID."""
        return await self._client._async_execute(self._get(file_id))

    def list(self) -> List[File]:
        """List your files (the first page, as in v0)."""
        return self._client._execute(self._list())

    async def async_list(self) -> List[File]:
        """List your files (the first page, as in v0)."""
        return await self._client._async_execute(self._list())

    def download(self, file_id: str, *, owner: str, expiry: int, signature: str) -> httpx.Response:
        """Download a file through its signed URL parameters; returns the read httpx.Response."""
        return self._client._execute(self._download(file_id, owner, expiry, signature))

    async def async_download(self, file_id: str, *, owner: str, expiry: int, signature: str) -> httpx.Response:
        """Download a file through its signed URL parameters; returns the read httpx.Response."""
        return await self._client._async_execute(self._download(file_id, owner, expiry, signature))

    def delete(self, file_id: str) -> bool:
        """Delete a file; True when it was deleted."""
        return self._client._execute(self._delete(file_id))

    async def async_delete(self, file_id: str) -> bool:
        """Delete a file; True when it was deleted."""
        return await self._client._async_execute(self._delete(file_id))

    def _create(self, handle: Any, options: Dict[str, Any]) -> Operation[File]:
        form = {"metadata": json.dumps(options["metadata"])} if options.get("metadata") else {}
        return Operation(
            "POST",
            "/v1/files",
            parse_resource(File, self._client),
            files={"content": (options["filename"], handle, options["content_type"])},
            data=form,
            timeout=None,  # large uploads take as long as they take
        )

    def _get(self, file_id: str) -> Operation[File]:
        return Operation("GET", f"/v1/files/{path_segment('file_id', file_id)}", parse_resource(File, self._client))

    def _list(self) -> Operation[List[File]]:
        return Operation("GET", "/v1/files", parse_resource_list(File, self._client))

    def _delete(self, file_id: str) -> Operation[bool]:
        return Operation("DELETE", f"/v1/files/{path_segment('file_id', file_id)}", parse_deleted)

    def _download(self, file_id: str, owner: str, expiry: int, signature: str) -> Operation[httpx.Response]:
        path = f"/v1/files/{path_segment('file_id', file_id)}/download"
        query = {"owner": owner, "expiry": expiry, "signature": signature}
        return Operation("GET", path, _the_response, params=query, timeout=None)


class PagedFiles(Files):
    """`files` on the newer-style clients: `list()` returns a page that walks every file."""

    def list(self) -> Page[File]:  # type: ignore[override]
        """List your files; iterating the page yields every file, across pages."""
        return self._client._execute(self._paged_list())

    async def async_list(self) -> Page[File]:  # type: ignore[override]
        """List your files; iterating the page yields every file, across pages."""
        return await self._client._async_execute(self._paged_list())

    def _paged_list(self) -> Operation[Page[File]]:
        return Operation("GET", "/v1/files", parse_page(File, self._client))


def _the_response(response: httpx.Response) -> httpx.Response:
    return response


_UNSUPPORTED_FILE = "Unsupported file type. Must be a file path or file-like object."  # v0's message
_CREATE_FILE_PARAMS = frozenset(["filename", "content_type", "metadata", "content", "file", "type"])


@contextlib.contextmanager
def _opened(file: Any, params: Mapping[str, Any]) -> Generator[Any, None, None]:
    """Yield (binary handle, options) for an upload, opening paths and closing what it opened."""
    unknown = sorted(set(params) - _CREATE_FILE_PARAMS)
    if unknown:  # v0 ignores them; say so
        warnings.warn(f"ignoring unknown keyword argument(s) for files.create: {', '.join(unknown)}", UserWarning, stacklevel=4)
    if file is None:
        file = params.get("content", params.get("file"))
    if file is None:
        raise ValueError(_UNSUPPORTED_FILE)
    content_type = params.get("content_type") or params.get("type")
    with contextlib.ExitStack() as stack:
        if isinstance(file, (str, pathlib.Path)):
            handle: Any = stack.enter_context(open(file, "rb"))  # v0's own error text when missing
        elif isinstance(file, (bytes, bytearray, memoryview)):
            handle = io.BytesIO(bytes(cast("Union[bytes, bytearray, memoryview[int]]", file)))
        elif isinstance(file, io.IOBase) or hasattr(file, "read"):
            handle = file
        else:
            raise ValueError(_UNSUPPORTED_FILE)
        handle = _with_known_length(handle)
        _check_size(handle)
        name = params.get("filename") or os.path.basename(str(getattr(handle, "name", "") or "file"))
        yield handle, {
            "filename": name,
            "content_type": content_type or guess_content_type(_Named(name)),
            "metadata": params.get("metadata"),
        }


class _Named:
    """Something with only a name, to guess a content type from."""

    def __init__(self, name: str) -> None:
        self.name = name


def _with_known_length(handle: Any) -> Any:
    """The file, or for one that is not a regular file (a FIFO, a socket, a character device)
    its content read into memory: such a file has no size to declare, and an upload that
    declared the wrong one would fail halfway. More than the API accepts is refused unsent."""
    try:
        mode = os.fstat(handle.fileno()).st_mode
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        return handle  # an in-memory file: its length is known
    if stat.S_ISREG(mode):
        return handle
    content = handle.read(MAX_FILE_SIZE + 1)
    if len(content) > MAX_FILE_SIZE:
        raise ValueError(
            f"file {getattr(handle, 'name', '')!r} is not a regular file and holds more than the "
            "100 MiB the API accepts"
        )
    buffered = io.BytesIO(content)
    buffered.name = getattr(handle, "name", "file")
    return buffered


def _check_size(handle: Any) -> None:
    """Refuse a file over the API's limit before sending a byte of it."""
    size: Optional[int] = None
    try:
        size = os.fstat(handle.fileno()).st_size - handle.tell()
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        try:
            position = handle.tell()
            size = handle.seek(0, io.SEEK_END) - position
            handle.seek(position)
        except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
            return
    if size is not None and size > MAX_FILE_SIZE:
        raise ValueError(
            f"file is {size / 1024 / 1024:.1f} MiB; the API accepts files up to 100 MiB"
        )
