"""A lean HTTP/1.1 server for the benchmarks: raw asyncio, keep-alive, loopback only.

It answers the few API routes the benchmark clients use, cheaply enough that the client
process, not the server, is what gets measured:

- ``GET /v1/predictions/fixed`` (any unknown id): a fixed, realistic prediction body.
- ``POST /v1/predictions``, ``POST /v1/models/{o}/{n}/predictions``: a simulated prediction
  whose behaviour comes from its input (``seconds``, ``items``, ``interval``, ``output``,
  ``tag``); honours ``Prefer: wait[=N]`` up to ``--max-wait`` seconds, and records when it
  completes / produces each item in the ``--times`` file (``tag index unix-time`` lines).
- ``GET /v1/predictions/{id}`` of a simulated prediction: its current state.
- ``GET /v1/streams/{id}``: the live SSE stream of a simulated prediction.
- ``GET /sse/{n}``: ``n`` SSE ``output`` events then ``done`` (pre-rendered, sent in bulk).
- ``GET /file/{size}``: ``size`` bytes of application/octet-stream.
- ``POST /v1/files``: reads and discards the upload, answers a file object.
- ``GET /v1/models/{o}/{n}`` and ``.../versions/{id}``: model and version objects (a model
  whose name contains ``iter`` has an iterator output).

Control is on stdin, one command a line: ``stats`` prints a JSON line of request counts,
``reset`` zeroes them, ``tag-requests TAG...`` prints the requests made for the predictions
of each tag; EOF (or ``--lifetime`` seconds) stops the server. The first line on
stdout is JSON: ``{"base_url": ..., "delivery_url": ...}``.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import sys
import threading
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple

CHUNK = 1024 * 1024
_FILL = bytes(range(256)) * (CHUNK // 256)


def version_id(model: str) -> str:
    """A stable 64-hex version id for a model name."""
    return hashlib.sha256(model.encode()).hexdigest()


def iso(ts: Optional[float]) -> Optional[str]:
    if ts is None:
        return None
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts)) + ".%06dZ" % int((ts % 1) * 1e6)


FIXED_PREDICTION = {
    "id": "fixed",
    "model": "bench/echo",
    "version": version_id("bench/echo"),
    "input": {"prompt": "a photo of an astronaut riding a horse", "seed": 42},
    "logs": "Using seed: 42\n  0%|          | 0/50 [00:00<?, ?it/s]\n100%|##########| 50/50 [00:02<00:00, 20.1it/s]\n",
    "output": ["https://replicate.delivery/xezq/abc123/out-0.webp"],
    "data_removed": False,
    "error": None,
    "source": "api",
    "status": "succeeded",
    "created_at": "2026-11-23T10:00:00.000000Z",
    "started_at": "2026-11-23T10:00:00.100000Z",
    "completed_at": "2026-11-23T10:00:02.700000Z",
    "metrics": {"predict_time": 2.6, "total_time": 2.7},
    "urls": {
        "cancel": "https://api.replicate.com/v1/predictions/fixed/cancel",
        "get": "https://api.replicate.com/v1/predictions/fixed",
        "stream": "https://stream.replicate.com/v1/files/fixed",
        "web": "https://replicate.com/p/fixed",
    },
}


class Sim:
    """A simulated prediction driven by its input."""

    def __init__(self, server: LeanServer, model: str, version: str, inputs: Dict[str, Any]) -> None:
        self.server = server
        self.id = uuid.uuid4().hex[:20]
        self.model = model
        self.version = version
        self.input = inputs
        self.status = "starting"
        self.output: Any = None
        self.created = time.time()
        self.started: Optional[float] = None
        self.completed: Optional[float] = None
        self.events: List[Tuple[str, str]] = []
        self.changed = asyncio.Event()
        self.done = asyncio.Event()
        self.requests = 1  # its create

    def to_json(self) -> Dict[str, Any]:
        base = self.server.base_url
        return {
            "id": self.id,
            "model": self.model,
            "version": self.version,
            "input": self.input,
            "logs": "",
            "output": self.output,
            "data_removed": False,
            "error": None,
            "source": "api",
            "status": self.status,
            "created_at": iso(self.created),
            "started_at": iso(self.started),
            "completed_at": iso(self.completed),
            "metrics": {"predict_time": (self.completed or 0) - (self.started or 0)} if self.completed else {},
            "urls": {
                "get": f"{base}/v1/predictions/{self.id}",
                "cancel": f"{base}/v1/predictions/{self.id}/cancel",
                "web": f"{base}/p/{self.id}",
                "stream": f"{base}/v1/streams/{self.id}",
            },
        }

    def _notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    async def run(self) -> None:
        inputs = self.input
        tag = str(inputs.get("tag", ""))
        self.status, self.started = "processing", time.time()
        self._notify()
        items = int(inputs.get("items", 0) or 0)
        if items:
            interval = float(inputs.get("interval", 0.1))
            self.output = []
            await asyncio.sleep(float(inputs.get("delay", 0.0) or 0.0))
            for index in range(items):
                await asyncio.sleep(interval)
                item = f"item-{index}"
                self.output.append(item)
                self.server.record_time(tag, index, time.time())
                self.events.append(("output", item))
                self._notify()
        else:
            await asyncio.sleep(float(inputs.get("seconds", 0.0) or 0.0))
            output = inputs.get("output", "done")
            if isinstance(output, str) and output.startswith("file:"):
                output = f"{self.server.base_url}/file/{int(output[5:])}"
            self.output = output
            self.events.append(("output", output if isinstance(output, str) else json.dumps(output)))
        self.status, self.completed = "succeeded", time.time()
        self.server.record_time(tag, -1, self.completed)
        self.events.append(("done", "{}"))
        self.done.set()
        self._notify()


class LeanServer:
    """The server state: simulated predictions, counters, the times file."""

    def __init__(self, max_wait: float, times_path: Optional[str]) -> None:
        self.max_wait = max_wait
        self.times_path = times_path
        self.base_url = ""
        self.sims: Dict[str, Sim] = {}
        self.counts: Dict[str, int] = {}
        self.requests = 0
        self.upload_bytes = 0
        self._times_lock = threading.Lock()
        self._sse_cache: Dict[int, bytes] = {}

    def record_time(self, tag: str, index: int, ts: float) -> None:
        if not self.times_path or not tag:
            return
        with self._times_lock, open(self.times_path, "a") as handle:
            handle.write(f"{tag} {index} {ts:.6f}\n")

    def count(self, key: str) -> None:
        self.requests += 1
        self.counts[key] = self.counts.get(key, 0) + 1

    # -- HTTP ------------------------------------------------------------------
    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers: Dict[str, str] = {}
                for line in lines[1:]:
                    if line:
                        name, _, value = line.partition(":")
                        headers[name.strip().lower()] = value.strip()
                path, _, query = target.partition("?")
                body = await self._read_body(reader, headers, discard=(path == "/v1/files"))
                keep = await self.route(method, path, query, headers, body, writer)
                if not keep or headers.get("connection", "").lower() == "close":
                    return
        except (ConnectionError, asyncio.CancelledError):
            return
        finally:
            try:
                writer.close()
            except Exception:
                pass

    async def _read_body(self, reader: asyncio.StreamReader, headers: Dict[str, str], discard: bool) -> bytes:
        parts: List[bytes] = []
        total = 0
        if "content-length" in headers:
            remaining = int(headers["content-length"])
            while remaining > 0:
                chunk = await reader.read(min(remaining, CHUNK))
                if not chunk:
                    break
                remaining -= len(chunk)
                total += len(chunk)
                if not discard:
                    parts.append(chunk)
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                remaining = size
                while remaining > 0:
                    chunk = await reader.read(min(remaining, CHUNK))
                    if not chunk:
                        raise ConnectionError("truncated chunk")
                    remaining -= len(chunk)
                    total += len(chunk)
                    if not discard:
                        parts.append(chunk)
                await reader.readexactly(2)
        if discard:
            self.upload_bytes += total
        return b"".join(parts)

    @staticmethod
    async def send(
        writer: asyncio.StreamWriter, status: int, body: bytes, content_type: str = "application/json"
    ) -> None:
        reason = {200: "OK", 201: "Created", 404: "Not Found", 400: "Bad Request"}.get(status, "OK")
        writer.write(
            f"HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        await writer.drain()

    async def route(
        self, method: str, path: str, query: str, headers: Dict[str, str], body: bytes, writer: asyncio.StreamWriter
    ) -> bool:
        if method == "POST" and (path == "/v1/predictions" or re.match(r"^/v1/models/[^/]+/[^/]+/predictions$", path)):
            self.count("POST predictions")
            return await self.create(path, headers, body, writer)
        match = re.match(r"^/v1/predictions/([^/]+)$", path)
        if method == "GET" and match:
            self.count("GET prediction")
            sim = self.sims.get(match.group(1))
            if sim is None:
                await self.send(writer, 200, _FIXED_BODY)
            else:
                sim.requests += 1
                await self.send(writer, 200, json.dumps(sim.to_json()).encode())
            return True
        match = re.match(r"^/v1/streams/([^/]+)$", path)
        if method == "GET" and match:
            self.count("GET stream")
            return await self.live_stream(match.group(1), writer)
        match = re.match(r"^/sse/(\d+)$", path)
        if method == "GET" and match:
            self.count("GET sse")
            return await self.bulk_sse(int(match.group(1)), writer)
        match = re.match(r"^/file/(\d+)$", path)
        if method == "GET" and match:
            self.count("GET file")
            return await self.file(int(match.group(1)), writer)
        if method == "POST" and path == "/v1/files":
            self.count("POST files")
            file_id = uuid.uuid4().hex[:16]
            await self.send(writer, 201, json.dumps(self.file_json(file_id)).encode())
            return True
        match = re.match(r"^/v1/models/([^/]+)/([^/]+)(?:/versions/([0-9a-f]+))?$", path)
        if method == "GET" and match:
            self.count("GET model")
            name = f"{match.group(1)}/{match.group(2)}"
            version = self.version_json(name)
            payload = version if match.group(3) else self.model_json(name, version)
            await self.send(writer, 200, json.dumps(payload).encode())
            return True
        self.count("other")
        await self.send(writer, 404, json.dumps({"detail": f"no route {method} {path}", "status": 404}).encode())
        return True

    async def create(self, path: str, headers: Dict[str, str], body: bytes, writer: asyncio.StreamWriter) -> bool:
        payload = json.loads(body or b"{}")
        if path == "/v1/predictions":
            ref = str(payload.get("version", ""))
            model = ref.split(":")[0] if "/" in ref else "bench/echo"
            version = ref.split(":")[-1]
        else:
            model = "/".join(path.split("/")[3:5])
            version = "hidden"
        sim = Sim(self, model, version, payload.get("input") or {})
        self.sims[sim.id] = sim
        asyncio.get_running_loop().create_task(sim.run())
        prefer = headers.get("prefer", "")
        match = re.match(r"^\s*wait(?:=(\d+))?", prefer)
        if match:
            hold = min(float(match.group(1)) if match.group(1) else self.max_wait, self.max_wait)
            try:
                await asyncio.wait_for(sim.done.wait(), hold)
            except asyncio.TimeoutError:
                pass
        else:
            await asyncio.sleep(0)  # let the run start, as a real create returns "starting"
        await self.send(writer, 201, json.dumps(sim.to_json()).encode())
        return True

    async def live_stream(self, prediction_id: str, writer: asyncio.StreamWriter) -> bool:
        sim = self.sims.get(prediction_id)
        if sim is None:
            await self.send(writer, 404, b'{"detail": "not found", "status": 404}')
            return True
        sim.requests += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        sent = 0
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            changed = sim.changed
            while sent < len(sim.events):
                event, data = sim.events[sent]
                sent += 1
                chunk = f"event: {event}\nid: {sent}\ndata: {data}\n\n".encode()
                writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await writer.drain()
            if sim.done.is_set() and sent >= len(sim.events):
                break
            try:
                await asyncio.wait_for(changed.wait(), 5.0)
            except asyncio.TimeoutError:
                pass
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True

    async def bulk_sse(self, count: int, writer: asyncio.StreamWriter) -> bool:
        body = self._sse_cache.get(count)
        if body is None:
            events = [f"event: output\nid: {i}\ndata: token {i} \n\n" for i in range(count)]
            events.append(f"event: done\nid: {count}\ndata: {{}}\n\n")
            body = self._sse_cache[count] = ("".join(events)).encode()
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
            b"Content-Length: %d\r\n\r\n" % len(body)
        )
        view = memoryview(body)
        for start in range(0, len(body), 64 * 1024):
            writer.write(view[start : start + 64 * 1024])
            await writer.drain()
        return True

    async def file(self, size: int, writer: asyncio.StreamWriter) -> bool:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: %d\r\n\r\n" % size
        )
        remaining = size
        while remaining > 0:
            n = min(remaining, CHUNK)
            writer.write(_FILL[:n] if n < CHUNK else _FILL)
            await writer.drain()
            remaining -= n
        return True

    def file_json(self, file_id: str) -> Dict[str, Any]:
        return {
            "id": file_id,
            "name": "input.bin",
            "content_type": "application/octet-stream",
            "size": 0,
            "etag": file_id,
            "checksums": {"sha256": "0" * 64},
            "metadata": {},
            "created_at": iso(time.time()),
            "expires_at": iso(time.time() + 86400),
            "urls": {"get": f"{self.base_url}/v1/files/{file_id}"},
        }

    def version_json(self, model: str) -> Dict[str, Any]:
        if "iter" in model:
            output = {"type": "array", "items": {"type": "string"}, "x-cog-array-type": "iterator", "title": "Output"}
        else:
            output = {"type": "string", "title": "Output"}
        return {
            "id": version_id(model),
            "created_at": "2026-11-23T10:00:00.000000Z",
            "cog_version": "0.9.0",
            "openapi_schema": {
                "openapi": "3.0.2",
                "info": {"title": "Cog", "version": "0.1.0"},
                "paths": {},
                "components": {
                    "schemas": {
                        "Input": {"type": "object", "title": "Input", "properties": {"tag": {"type": "string"}}},
                        "Output": output,
                    }
                },
            },
        }

    def model_json(self, name: str, version: Dict[str, Any]) -> Dict[str, Any]:
        owner, _, model = name.partition("/")
        return {
            "url": f"https://replicate.com/{name}",
            "owner": owner,
            "name": model,
            "description": "benchmark model",
            "visibility": "public",
            "github_url": None,
            "paper_url": None,
            "license_url": None,
            "run_count": 0,
            "cover_image_url": None,
            "default_example": None,
            "latest_version": version,
        }

    def stats(self) -> Dict[str, Any]:
        return {"requests": self.requests, "by_route": dict(self.counts), "upload_bytes": self.upload_bytes}

    def reset(self) -> None:
        self.requests = 0
        self.counts = {}
        self.upload_bytes = 0


_FIXED_BODY = json.dumps(FIXED_PREDICTION).encode()


async def serve(args: argparse.Namespace) -> None:
    state = LeanServer(args.max_wait, args.times)
    server = await asyncio.start_server(state.handle, "127.0.0.1", args.port, backlog=2048, limit=CHUNK)
    port = server.sockets[0].getsockname()[1]
    state.base_url = f"http://127.0.0.1:{port}"
    print(json.dumps({"base_url": state.base_url, "delivery_url": state.base_url}), flush=True)
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()

    def control() -> None:
        for line in sys.stdin:
            command = line.strip()
            if command == "stats":
                future = asyncio.run_coroutine_threadsafe(_call(state.stats), loop)
                print(json.dumps(future.result(10)), flush=True)
            elif command == "reset":
                asyncio.run_coroutine_threadsafe(_call(state.reset), loop).result(10)
                print("{}", flush=True)
            elif command.startswith("tag-requests"):
                tags = command.split()[1:]
                counts = {tag: 0 for tag in tags}
                for sim in list(state.sims.values()):
                    tag = str(sim.input.get("tag", ""))
                    if tag in counts:
                        counts[tag] += sim.requests
                print(json.dumps(counts), flush=True)
            elif command == "quit":
                break
        loop.call_soon_threadsafe(stop.set)

    threading.Thread(target=control, daemon=True).start()
    try:
        await asyncio.wait_for(stop.wait(), args.lifetime)
    except asyncio.TimeoutError:
        pass
    server.close()


async def _call(fn: Any) -> Any:
    return fn()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-wait", type=float, default=60.0, help="longest Prefer: wait hold, seconds")
    parser.add_argument("--times", default=None, help="file to append completion/item times to")
    parser.add_argument("--lifetime", type=float, default=1800.0, help="stop after this many seconds")
    args = parser.parse_args()
    try:
        asyncio.run(serve(args))
    except KeyboardInterrupt:
        pass
    os._exit(0)


if __name__ == "__main__":
    main()
