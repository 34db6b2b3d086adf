"""Fault injection: canned error responses, delays, cut streams and cut downloads."""

from __future__ import annotations

import asyncio
import fnmatch
import json
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple

Scope = Dict[str, Any]
Message = Dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    b"</body>\r\n</html>\r\n"
)

#: Paths that serve file bytes; the default target of :meth:`Faults.cut_download`.
DOWNLOAD_PATHS = ("/delivery/*", "/v1/files/*/download")
#: Paths that serve server-sent events; the default target of :meth:`Faults.cut_stream`.
STREAM_PATHS = ("/v1/streams/*", "/v1/files/streams/*")


class ConnectionCut(Exception):
    """Raised inside a response to make the server drop the connection mid-body."""


@dataclass
class FaultRule:
    """One fault; fires for the next ``times`` matching requests (None = forever)."""

    kind: str  # "response", "cut_stream" or "cut_download"
    method: str = "*"
    paths: Tuple[str, ...] = ("*",)
    status: Optional[int] = None
    headers: Dict[str, str] = field(default_factory=dict)  # pyright: ignore[reportUnknownVariableType]
    body: Optional[bytes] = None
    content_type: Optional[str] = None
    delay: float = 0.0
    passthrough: bool = False
    times: Optional[int] = 1
    after_events: int = 0
    at_fraction: float = 0.5
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether the request's method and path match this rule."""
        if self.method != "*" and self.method.upper() != method.upper():
            return False
        return any(fnmatch.fnmatchcase(path, pattern) for pattern in self.paths)

    @property
    def exhausted(self) -> bool:
        """Whether the rule has fired ``times`` times already."""
        return self.times is not None and self.fired >= self.times


class Faults:
    """Fault controls exposed as ``emulator.faults``.

    Rules are checked in the order they were added; the first live matching rule
    fires and counts one use. ``times=None`` keeps a rule forever.
    """

    def __init__(self) -> None:
        self.rules: List[FaultRule] = []
        self._lock = threading.Lock()

    # -- adding rules ------------------------------------------------------
    def add(
        self,
        method: str = "*",
        path: str = "*",
        status: Optional[int] = None,
        *,
        times: Optional[int] = 1,
        headers: Optional[Dict[str, str]] = None,
        body: Optional[bytes] = None,
        json_body: Any = None,
        content_type: Optional[str] = None,
        delay: float = 0.0,
        passthrough: bool = False,
    ) -> FaultRule:
        """Answer matching requests with ``status``/``body`` instead of the real handler.

        ``delay`` sleeps first; with ``passthrough=True`` (or no ``status``) the real
        handler runs after the delay. Without a body a problem+json body is sent.
        """
        if isinstance(body, str):
            body = body.encode()
        if json_body is not None:
            body = json.dumps(json_body).encode()
            content_type = content_type or "application/json"
        if status is None and not passthrough:
            if not delay:
                raise ValueError("a fault needs a status, a delay or passthrough=True")
            passthrough = True
        if status is not None and body is None and not passthrough:
            body = json.dumps(
                {"title": "Injected fault", "detail": "Injected fault", "status": status}
            ).encode()
            content_type = content_type or "application/problem+json"
        rule = FaultRule(
            kind="response",
            method=method,
            paths=(path,),
            status=status,
            headers=dict(headers or {}),
            body=body,
            content_type=content_type,
            delay=delay,
            passthrough=passthrough,
            times=times,
        )
        return self._append(rule)

    def html_502(self, method: str = "*", path: str = "*", times: Optional[int] = 1) -> FaultRule:
        """A proxy's HTML 502 Bad Gateway page."""
        return self.add(
            method, path, 502, times=times, body=BAD_GATEWAY_HTML, content_type="text/html"
        )

    def invalid_json(
        self, method: str = "*", path: str = "*", times: Optional[int] = 1
    ) -> FaultRule:
        """A 200 whose JSON body is truncated garbage."""
        return self.add(
            method,
            path,
            200,
            times=times,
            body=b'{"id": "abc", "status": ',
            content_type="application/json",
        )

    def empty_body(
        self, method: str = "*", path: str = "*", status: int = 200, times: Optional[int] = 1
    ) -> FaultRule:
        """A response with the given status and no body at all."""
        return self.add(
            method, path, status, times=times, body=b"", content_type="application/json"
        )

    def rate_limit(
        self, method: str = "*", path: str = "*", times: Optional[int] = 1, retry_after: int = 1
    ) -> FaultRule:
        """A 429 shaped like the live API's throttling answer, with Retry-After."""
        noun = "second" if retry_after == 1 else "seconds"
        return self.add(
            method,
            path,
            429,
            times=times,
            json_body={
                "detail": f"Request was throttled. Expected available in {retry_after} {noun}.",
                "status": 429,
                "retry_after": retry_after,
            },
            content_type="application/problem+json",
            headers={"Retry-After": str(retry_after)},
        )

    def slow(
        self, delay: float, method: str = "*", path: str = "*", times: Optional[int] = 1
    ) -> FaultRule:
        """Sleep ``delay`` seconds, then run the real handler."""
        return self.add(method, path, delay=delay, passthrough=True, times=times)

    def cut_stream(
        self, after_events: int = 1, times: Optional[int] = 1, path: Optional[str] = None
    ) -> FaultRule:
        """Drop an SSE connection abruptly after ``after_events`` events."""
        paths = (path,) if path else STREAM_PATHS
        return self._append(
            FaultRule(kind="cut_stream", paths=paths, times=times, after_events=after_events)
        )

    def cut_download(
        self, at_fraction: float = 0.5, times: Optional[int] = 1, path: Optional[str] = None
    ) -> FaultRule:
        """Send ``at_fraction`` of a response body, then drop the connection."""
        paths = (path,) if path else DOWNLOAD_PATHS
        return self._append(
            FaultRule(kind="cut_download", paths=paths, times=times, at_fraction=at_fraction)
        )

    def clear(self) -> None:
        """Remove every rule."""
        with self._lock:
            self.rules.clear()

    @property
    def fired(self) -> int:
        """How many times any rule fired."""
        with self._lock:
            return sum(rule.fired for rule in self.rules)

    # -- used by the server ----------------------------------------------
    def take(self, kind: str, method: str, path: str) -> Optional[FaultRule]:
        """Consume one use of the first live rule of ``kind`` matching the request."""
        with self._lock:
            for rule in self.rules:
                if rule.kind == kind and not rule.exhausted and rule.matches(method, path):
                    rule.fired += 1
                    return rule
        return None

    def _append(self, rule: FaultRule) -> FaultRule:
        with self._lock:
            self.rules.append(rule)
        return rule


async def send_fault_response(rule: FaultRule, send: Send) -> None:
    """Write a canned fault response."""
    body = rule.body or b""
    headers = [(b"content-length", str(len(body)).encode())]
    if rule.content_type:
        headers.append((b"content-type", rule.content_type.encode()))
    headers.extend((name.lower().encode(), value.encode()) for name, value in rule.headers.items())
    await send({"type": "http.response.start", "status": rule.status or 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def cutting_send(rule: FaultRule, send: Send) -> Send:
    """Wrap ``send`` so the body stops at ``rule.at_fraction`` and the connection drops."""
    state: Dict[str, Any] = {"cut_at": None, "sent": 0}

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            for name, value in message.get("headers", []):
                if name.lower() == b"content-length":
                    state["cut_at"] = int(int(value) * rule.at_fraction)
            await send(message)
            return
        if message["type"] != "http.response.body":
            await send(message)
            return
        body = message.get("body", b"")
        cut_at = state["cut_at"]
        if cut_at is None:  # unknown length: cut inside the first chunk
            cut_at = state["cut_at"] = int(len(body) * rule.at_fraction)
        if state["sent"] + len(body) < cut_at:
            state["sent"] += len(body)
            await send(message)
            return
        room = cut_at - state["sent"]
        if room > 0:
            await send({"type": "http.response.body", "body": body[:room], "more_body": True})
        # Give the transport a moment to flush what was sent before the abort.
        await asyncio.sleep(0.01)
        raise ConnectionCut("download cut by fault injection")

    return wrapped


class _QuietCuts(logging.Filter):
    """Keeps the server log free of the tracebacks our deliberate cuts cause."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not _contains_cut(exc)


def _contains_cut(exc: Optional[BaseException], depth: int = 0) -> bool:
    if exc is None or depth > 8:
        return False
    if isinstance(exc, ConnectionCut):
        return True
    nested = getattr(exc, "exceptions", None) or ()
    if any(_contains_cut(inner, depth + 1) for inner in nested):
        return True
    return _contains_cut(exc.__cause__ or exc.__context__, depth + 1)


_filter_installed = False


def install_log_filter() -> None:
    """Attach the quiet-cuts filter to uvicorn's error logger once per process."""
    global _filter_installed
    if not _filter_installed:
        logging.getLogger("uvicorn.error").addFilter(_QuietCuts())
        _filter_installed = True
