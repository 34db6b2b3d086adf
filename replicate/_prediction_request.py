"""The request that creates a prediction: its body, its Prefer and Cancel-After headers, and
the checks on its options. Shared by every create endpoint, and free of pydantic, so that
`run()` can read a quick answer as plain JSON."""

from __future__ import annotations

import datetime
import re
import warnings
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Mapping, Optional, TypeVar, cast

import httpx

from replicate._operation import Operation
from replicate.helpers import async_encode_json, encode_json

if TYPE_CHECKING:
    from replicate.client import Client

T = TypeVar("T")

WEBHOOK_EVENTS = frozenset(["start", "output", "logs", "completed"])
MAX_WAIT_SECONDS = 60

_BODY_PARAMS = ("webhook", "webhook_completed", "webhook_events_filter", "stream")
_CREATE_PARAMS = frozenset([*_BODY_PARAMS, "wait", "file_encoding_strategy", "cancel_after"])


def send_create(
    client: Client,
    path: str,
    input: Optional[Dict[str, Any]],
    params: Mapping[str, Any],
    parse: Callable[[httpx.Response], T],
    version: Optional[str] = None,
) -> T:
    """Create a prediction at `path` (versions, models or deployments endpoint), read by `parse`."""
    check_create_params(params, stacklevel=5)
    encoded = encode_json(input, client, params.get("file_encoding_strategy"), argument="input")
    return client._execute(create_operation(client, path, encoded, params, parse, version))


async def async_send_create(
    client: Client,
    path: str,
    input: Optional[Dict[str, Any]],
    params: Mapping[str, Any],
    parse: Callable[[httpx.Response], T],
    version: Optional[str] = None,
) -> T:
    """Create a prediction at `path`, uploading file inputs asynchronously."""
    check_create_params(params, stacklevel=5)
    encoded = await async_encode_json(input, client, params.get("file_encoding_strategy"), argument="input")
    return await client._async_execute(create_operation(client, path, encoded, params, parse, version))


def check_create_params(
    params: Mapping[str, Any],
    allowed: frozenset[str] = _CREATE_PARAMS,
    what: str = "a prediction",
    stacklevel: int = 4,
) -> None:
    """Check the options of a create; unknown keyword arguments are ignored as v0 ignores them,
    with a UserWarning naming them (v0 dropped them silently)."""
    unknown = sorted(set(params) - allowed)
    if unknown:
        warnings.warn(
            f"ignoring unknown keyword argument(s) for creating {what}: {', '.join(unknown)}",
            UserWarning,
            stacklevel=stacklevel,
        )
    strategy = params.get("file_encoding_strategy")
    if strategy is not None and strategy not in ("url", "base64"):
        raise ValueError(f"file_encoding_strategy must be 'url' or 'base64', got {strategy!r}")
    events = params.get("webhook_events_filter")
    if events is not None and (
        not isinstance(events, (list, tuple, set, frozenset))
        or not all(event in WEBHOOK_EVENTS for event in cast("Iterable[Any]", events))
    ):
        raise ValueError(
            f"webhook_events_filter must be a list drawn from {sorted(WEBHOOK_EVENTS)}, got {events!r}"
        )


def create_operation(
    client: Client,
    path: str,
    input: Any,
    params: Mapping[str, Any],
    parse: Callable[[httpx.Response], T],
    version: Optional[str] = None,
) -> Operation[T]:
    """The POST that creates a prediction, with v0's body, Prefer and Cancel-After headers."""
    body: Dict[str, Any] = {}
    if input is not None:
        body["input"] = input
    if version is not None:
        body["version"] = version
    for key in _BODY_PARAMS:
        if params.get(key) is not None:
            body[key] = params[key]
    options: Dict[str, Any] = {"json": body}
    headers = prediction_request_headers(params.get("wait"), params.get("cancel_after"))
    if headers:
        options["headers"] = headers
    hold = wait_seconds(params.get("wait"))
    if hold is not None:
        options["timeout"] = timeout_covering_hold(client._timeout, hold)
    return Operation("POST", path, parse, **options)


def wait_seconds(wait: Any) -> Optional[int]:
    """How long the server may hold the create request: None, or 1..60 seconds."""
    if wait is None or wait is False:
        return None
    if wait is True:
        return MAX_WAIT_SECONDS
    if isinstance(wait, int) and 1 <= wait <= MAX_WAIT_SECONDS:
        return wait
    raise ValueError(
        f"wait must be True, False or a whole number of seconds from 1 to {MAX_WAIT_SECONDS}, got {wait!r}"
    )


def prediction_request_headers(wait: Any, cancel_after: Any = None) -> Dict[str, str]:
    """The Prefer and Cancel-After headers for a prediction create."""
    headers: Dict[str, str] = {}
    hold = wait_seconds(wait)
    if hold is not None:
        headers["Prefer"] = "wait" if wait is True else f"wait={hold}"
    if cancel_after is not None:
        headers["Cancel-After"] = format_duration(cancel_after, "cancel_after")
    return headers


def timeout_covering_hold(timeout: httpx.Timeout, hold: int) -> httpx.Timeout:
    """The client's timeout, with a read timeout long enough for the server's hold."""
    read = timeout.read
    if read is not None and read < hold + 0.5:
        read = hold + 0.5
    return httpx.Timeout(connect=timeout.connect, read=read, write=timeout.write, pool=timeout.pool)


_DURATION_PATTERN = r"^(\d+(\.\d+)?(ms|s|m|h))+$"


def format_duration(value: Any, argument: str) -> str:
    """A Go-style duration ("30s", "1h30m") from a string, seconds or a timedelta."""
    if isinstance(value, datetime.timedelta):
        value = value.total_seconds()
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{argument} must be a duration like '30s' or '5m', or seconds; got {value!r}")
    if isinstance(value, str):
        if not re.match(_DURATION_PATTERN, value.strip()):
            raise ValueError(f"{argument} must be a duration like '30s', '5m' or '1h30m45s'; got {value!r}")
        return value.strip()
    if value <= 0:
        raise ValueError(f"{argument} must be positive, got {value!r}")
    milliseconds = round(value * 1000)
    return f"{milliseconds // 1000}s" if milliseconds % 1000 == 0 else f"{milliseconds}ms"
