"""Operations: one API call each, described once (what it sends, how it reads the answer)
and run by either the sync or the async client; and the path and parse helpers they share.

Nothing here needs pydantic, so a call that reads plain JSON never loads it.
"""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any, Callable, Dict, Generic, Mapping, Optional, TypeVar, cast
from urllib.parse import quote

from replicate.exceptions import UnexpectedResponseError, describe_body

if TYPE_CHECKING:
    import httpx

    from replicate.client import Client

T = TypeVar("T")


class APIResponse(Generic[T]):
    """The HTTP response to one operation, parsed only on request."""

    def __init__(self, response: httpx.Response, operation: Operation[T]) -> None:
        self.http_response = response
        self._operation = operation

    @property
    def status_code(self) -> int:
        """The HTTP status code."""
        return self.http_response.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The response headers."""
        return self.http_response.headers

    @property
    def content(self) -> bytes:
        """The raw body."""
        return self.http_response.content

    @property
    def text(self) -> str:
        """The body as text."""
        return self.http_response.text

    def json(self) -> Any:
        """The body as JSON."""
        return self.http_response.json()

    def parse(self) -> T:
        """The operation's usual result, read from this response."""
        return self._operation.read(self.http_response)

    def __repr__(self) -> str:
        return f"<APIResponse [{self.status_code}] {self._operation.method} {self._operation.path}>"


class RawResponseClient:
    """Stands in for a client so that operations return their APIResponse, unparsed."""

    def __init__(self, client: Client) -> None:
        self._wrapped = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._wrapped, name)

    def _execute(self, operation: Operation[T]) -> APIResponse[T]:
        response = self._wrapped._request(operation.method, operation.path, **operation.options)
        return APIResponse(response, operation)

    async def _async_execute(self, operation: Operation[T]) -> APIResponse[T]:
        response = await self._wrapped._async_request(operation.method, operation.path, **operation.options)
        return APIResponse(response, operation)


class Operation(Generic[T]):
    """One API call: what it sends and how it reads the answer.

    Namespace methods build an Operation and hand it to `Client._execute` or
    `Client._async_execute`, so each call is described once for both.
    """

    __slots__ = ("method", "options", "parse", "path")

    def __init__(
        self,
        method: str,
        path: str,
        parse: Callable[[httpx.Response], T],
        **options: Any,
    ) -> None:
        self.method: str = method
        self.path: str = path
        self.parse: Callable[[httpx.Response], T] = parse
        self.options: Dict[str, Any] = options

    def read(self, response: httpx.Response) -> T:
        """Parse a successful response; a body that doesn't fit raises UnexpectedResponseError."""
        try:
            return self.parse(response)
        except ValueError as exc:  # json and pydantic errors are both ValueErrors
            raise _unexpected(response, self, exc) from exc

    def __repr__(self) -> str:
        return f"Operation({self.method} {self.path})"


def _unexpected(
    response: httpx.Response, operation: Operation[Any], exc: Exception
) -> UnexpectedResponseError:
    reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    body = describe_body(response.status_code, response.reason_phrase, response.content)
    return UnexpectedResponseError(
        title="Unexpected response",
        status=response.status_code,
        detail=f"could not read the answer to {operation.method} {operation.path} ({reason}); {body}",
        response=response,
    )


def parse_json(response: httpx.Response) -> Any:
    """A parser for any JSON body."""
    return response.json()


def parse_text(response: httpx.Response) -> str:
    """A parser for a text body."""
    return response.text


def parse_deleted(response: httpx.Response) -> bool:
    """A delete operation's result: True when the API accepted it (204, or 202 for versions)."""
    return 200 <= response.status_code < 300


def path_segment(argument: str, value: Any) -> str:
    """Quote one path segment so that it stays one segment, naming the argument if it can't.

    Empty values, `.` and `..` are refused: URL normalisation would drop them, or climb to
    the parent, and send the request (a DELETE, say) to another resource.
    """
    if not isinstance(value, str) or not value:
        raise ValueError(f"{argument} must be a non-empty string, got {value!r}")
    if value in _DOT_SEGMENTS:
        raise ValueError(f"{argument} cannot be {value!r}: it is not a valid id or name")
    return value if _UNRESERVED(value) else quote(value, safe="")


_DOT_SEGMENTS = frozenset([".", ".."])


# Characters a path segment never needs quoted (RFC 3986 "unreserved"): ids and names are these.
_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]+").fullmatch


def drop_none(values: Mapping[str, Any]) -> Dict[str, Any]:
    """The entries whose value is not None (for optional request fields)."""
    return {key: value for key, value in values.items() if value is not None}


class Answer(Generic[T]):
    """A JSON answer whose resource is read only when something needs more than its plain
    fields, so a call that needs only those (a run finished within the hold) never loads
    pydantic."""

    __slots__ = ("_read", "_resource", "data")

    def __init__(self, data: Any, read: Callable[[Any], T], resource: Optional[T] = None) -> None:
        self.data: Any = data
        """The answer as parsed JSON."""
        self._read = read
        self._resource = resource

    @property
    def resource(self) -> T:
        """The answer read as its resource (read once, on first use)."""
        if self._resource is None:
            self._resource = self._read(self.data)
        return self._resource

    def field(self, name: str) -> Any:
        """One field: the resource's once it is read (it may have been reloaded since), else
        the answer's as sent."""
        if self._resource is not None:
            return getattr(self._resource, name, None)
        return self.data.get(name)


def parse_answer(
    required: Mapping[str, Callable[[Any], bool]],
    read: Callable[[Any], T],
    parse_eagerly: Callable[[httpx.Response], T],
) -> Callable[[httpx.Response], Answer[T]]:
    """A parser that defers `read`ing the resource when each `required` field passes its check.

    The checks accept only what `read` accepts. Any other answer is parsed at once by
    `parse_eagerly`, so a body that doesn't fit raises just where an eager parser would.
    """

    def parse(response: httpx.Response) -> Answer[T]:
        try:
            data: Any = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict) and all(
            check(cast("Dict[str, Any]", data).get(name)) for name, check in required.items()
        ):
            return Answer(data, read)
        return Answer(data, read, parse_eagerly(response))

    return parse


def is_text(value: Any) -> bool:
    """A `required` check: any string."""
    return isinstance(value, str)


_RFC3339 = re.compile(
    r"(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.\d{1,9})?(?:[Zz]|[+-](?:[01]\d|2[0-3]):[0-5]\d)?",
    re.ASCII,
).fullmatch


def is_timestamp(value: Any) -> bool:
    """A `required` check: an RFC 3339 date and time (a subset of what pydantic reads)."""
    match = _RFC3339(value) if isinstance(value, str) else None
    if match is None:
        return False
    try:
        year, month, day, hour, minute, second = (int(part) for part in match.groups())
        datetime.datetime(year, month, day, hour, minute, second)
    except ValueError:  # February 30th, hour 24
        return False
    return True
