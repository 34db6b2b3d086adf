"""ASGI middleware: request recording, fault injection and bearer-token auth."""

from __future__ import annotations

import asyncio
import json
import re
from typing import TYPE_CHECKING, Any, Dict

from .faults import Message, Receive, Scope, Send, cutting_send, send_fault_response
from .stats import RequestRecord

if TYPE_CHECKING:
    from .emulator import Emulator

UNAUTHENTICATED: Dict[str, Any] = {
    "title": "Unauthenticated",
    "detail": "You did not pass a valid authentication token",
    "status": 401,
}

_PUBLIC_PATHS = re.compile(
    r"^(/delivery/|/v1/streams/|/v1/files/streams/|/p/|/v1/files/[^/]+/download$|/v1/search$)"
)


def requires_auth(path: str) -> bool:
    """Whether the path needs ``Authorization`` (streams, deliveries and search do not)."""
    return not _PUBLIC_PATHS.match(path)


class EmulatorMiddleware:
    """Wraps an app: records the request, applies faults, then checks the token."""

    def __init__(self, app: Any, emulator: Emulator, origin: str) -> None:
        self.app = app
        self.emulator = emulator
        self.origin = origin

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        emulator = self.emulator
        method, path = scope["method"], scope["path"]
        headers = _headers(scope)
        emulator.note_origin(_origin(scope, headers))
        emulator.stats.record(
            RequestRecord(
                method, path, scope.get("query_string", b"").decode("latin-1"), headers, self.origin
            )
        )

        rule = emulator.faults.take("response", method, path)
        if rule is not None:
            if rule.delay:
                await asyncio.sleep(rule.delay)
            if not rule.passthrough:
                await send_fault_response(rule, send)
                return
        cut = emulator.faults.take("cut_download", method, path)
        if cut is not None:
            send = cutting_send(cut, send)

        if self.origin == "api":
            send = _with_rate_limit_headers(send)
        token = emulator.token
        if (
            self.origin == "api"
            and token is not None
            and requires_auth(path)
            and not _authorized(headers.get("authorization", ""), token)
        ):
            await _send_json(send, 401, UNAUTHENTICATED)
            return
        await self.app(scope, receive, send)


def _with_rate_limit_headers(send: Send) -> Send:
    """Add the rate-limit headers the live API sends (the emulator never throttles)."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            extra = [(b"ratelimit-remaining", b"599"), (b"ratelimit-reset", b"1")]
            message = {**message, "headers": [*message.get("headers", []), *extra]}
        await send(message)

    return wrapped


def _headers(scope: Scope) -> Dict[str, str]:
    result: Dict[str, str] = {}
    for name, value in scope.get("headers", []):
        key = name.decode("latin-1").lower()
        text = value.decode("latin-1")
        result[key] = f"{result[key]}, {text}" if key in result else text
    return result


def _origin(scope: Scope, headers: Dict[str, str]) -> str:
    host = headers.get("host")
    if not host:
        server = scope.get("server") or ("testserver", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}"


def _authorized(header: str, token: str) -> bool:
    scheme, _, value = header.partition(" ")
    return scheme.lower() in ("bearer", "token") and value.strip() == token


async def _send_json(send: Send, status: int, body: Dict[str, Any]) -> None:
    payload = json.dumps(body, separators=(",", ":")).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})
