"""Connection faults: a TCP proxy on 127.0.0.1 that misbehaves on purpose.

The emulator's own fault controls (``emu.faults``) shape HTTP answers; faults below HTTP
need something between the client and the server. Put a `FaultProxy` in front of the
emulator and point the client at ``proxy.url``::

    with Emulator() as emu, FaultProxy(emu.base_url) as proxy:
        client = replicate.Client(api_token=emu.token, base_url=proxy.url)
        proxy.drop_before("POST", "/v1/predictions")      # the server never sees it
        proxy.drop_after("GET", "/v1/predictions/*", times=2)  # the server answered; the client never hears

For requests matching a rule it can:

- ``drop`` (`drop_before`): reset the connection after reading the request, without
  forwarding it, so the server never sees it;
- ``reset_after_forward`` (`drop_after`): forward the request, let the server answer, then
  reset the connection before a byte of the answer reaches the client (the server has acted);
- be ``paused`` so new connections are refused, then ``resumed`` on the same port.

Every request is forwarded on its own upstream connection with ``Connection: close``.
"""

from __future__ import annotations

import asyncio
import fnmatch
import socket
import struct
import threading
from dataclasses import dataclass
from typing import List, Optional, Tuple

_HEAD_LIMIT = 64 * 1024
_READ_TIMEOUT = 10.0


@dataclass
class ProxyRule:
    """Apply `action` to the next `times` requests matching method and path (globs)."""

    action: str
    method: str = "*"
    path: str = "*"
    times: int = 1
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        return (
            self.fired < self.times
            and fnmatch.fnmatch(method, self.method)
            and fnmatch.fnmatch(path.split("?", 1)[0], self.path)
        )


class FaultProxy:
    """A misbehaving TCP proxy; use as a context manager, point the client at `url`."""

    def __init__(self, upstream_url: str) -> None:
        host_port = upstream_url.split("://", 1)[1].rstrip("/")
        host, port = host_port.rsplit(":", 1)
        self.upstream: Tuple[str, int] = (host, int(port))
        self.rules: List[ProxyRule] = []
        self.requests_seen: int = 0
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: Optional[asyncio.base_events.Server] = None
        self.port: int = _free_port()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        self.resume()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.pause()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def add(self, action: str, method: str = "*", path: str = "*", times: int = 1) -> ProxyRule:
        rule = ProxyRule(action, method, path, times)
        self.rules.append(rule)
        return rule

    def drop_before(self, method: str = "*", path: str = "*", times: int = 1) -> ProxyRule:
        """Reset matching connections before the server reads the request."""
        return self.add("drop", method, path, times)

    def drop_after(self, method: str = "*", path: str = "*", times: int = 1) -> ProxyRule:
        """Let the server answer matching requests, then reset before the client hears it."""
        return self.add("reset_after_forward", method, path, times)

    def pause(self) -> None:
        """Stop listening: new connections are refused."""
        if self._server is not None:
            server, self._server = self._server, None
            asyncio.run_coroutine_threadsafe(_close(server), self._loop).result(timeout=5)

    def resume(self) -> None:
        """Listen again on the same port."""
        future = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", self.port, reuse_address=True), self._loop
        )
        self._server = future.result(timeout=5)

    def resume_later(self, delay: float) -> None:
        """Start listening again after `delay` seconds (connection refused, then up)."""
        timer = threading.Timer(delay, self.resume)
        timer.daemon = True
        timer.start()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                request = await asyncio.wait_for(_read_request(reader), _READ_TIMEOUT)
                if request is None:
                    return
                head, body, method, path = request
                self.requests_seen += 1
                rule = next((r for r in self.rules if r.matches(method, path)), None)
                if rule is not None:
                    rule.fired += 1
                if rule is not None and rule.action == "drop":
                    return _reset(writer)
                answer = await self._forward(head, body)
                if rule is not None and rule.action == "reset_after_forward":
                    return _reset(writer)
                writer.write(answer)
                await writer.drain()
                return writer.close()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            writer.close()

    async def _forward(self, head: bytes, body: bytes) -> bytes:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        upstream_writer.write(_with_connection_close(head) + body)
        await upstream_writer.drain()
        # Read to EOF in bounded chunks: an unbounded read() to EOF sometimes never returned on
        # Python 3.9, and a stalled peer should fail the test rather than hang it.
        parts: List[bytes] = []
        while True:
            part = await asyncio.wait_for(upstream_reader.read(65536), _READ_TIMEOUT)
            if not part:
                break
            parts.append(part)
        upstream_writer.close()
        return b"".join(parts)


async def _close(server: asyncio.base_events.Server) -> None:
    server.close()
    await server.wait_closed()


async def _read_request(reader: asyncio.StreamReader) -> Optional[Tuple[bytes, bytes, str, str]]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    if len(head) > _HEAD_LIMIT:
        raise ConnectionError("request head too large")
    lines = head.decode("latin-1").split("\r\n")
    method, path, _ = lines[0].split(" ", 2)
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    body = await reader.readexactly(length) if length else b""
    return head, body, method, path


def _with_connection_close(head: bytes) -> bytes:
    lines = [line for line in head.split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines[:1], b"Connection: close", *lines[1:]])


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP reset (RST), as a crashed peer or middlebox would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
