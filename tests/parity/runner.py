"""Run a batch of parity scenarios in this interpreter and print one JSON record per scenario.

Started by tests/parity/test_parity.py, once under replicate 1.0.7 (.venv-v0) and once under
this package (.venv). It patches httpx's own transports at class level *before* replicate is
imported, so every client either package builds (module-level ones included) talks to the
scripted fake API below. Usage: ``python runner.py BATCH.json`` (a list of scenarios).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import enum
import json
import os
import ssl
import sys
import time
import traceback
import warnings
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qsl

os.environ["REPLICATE_API_TOKEN"] = "r8_parity-dummy-token"
os.environ["REPLICATE_POLL_INTERVAL"] = "0"
os.environ.pop("REPLICATE_BASE_URL", None)

import httpx

API_HOST = "api.replicate.com"
RECORDED_HEADERS = ("prefer", "content-type", "accept", "cancel-after")


class FakeAPI:
    """Answers by method + path from a per-scenario script and records every request."""

    def __init__(self) -> None:
        self.foreign_auth = False
        self.routes: Dict[str, List[Dict[str, Any]]] = {}
        self.served: Dict[str, int] = {}
        self.requests: List[Dict[str, Any]] = []

    def reset(self, routes: Dict[str, List[Dict[str, Any]]], foreign_auth: bool) -> None:
        self.foreign_auth = foreign_auth
        self.routes = routes
        self.served = {}
        self.requests = []

    def answer(self, request: httpx.Request, body: bytes) -> httpx.Response:
        entry = describe_request(request, body)
        if request.url.host == API_HOST or self.foreign_auth:
            entry["headers"]["authorization"] = request.headers.get("authorization")
        self.requests.append(entry)
        where = request.url.path if request.url.host == API_HOST else str(request.url.copy_with(query=None))
        key = f"{request.method} {where}"
        script = self.routes.get(key)
        if script is None:
            return httpx.Response(
                404, json={"title": "Not found", "status": 404, "detail": f"no route {key}"},
                request=request,
            )
        index = self.served.get(key, 0)
        self.served[key] = index + 1
        step = script[min(index, len(script) - 1)]
        if "raise" in step:
            raise getattr(httpx, step["raise"])("scripted failure", request=request)
        return build_response(step, request)


def build_response(step: Dict[str, Any], request: httpx.Request) -> httpx.Response:
    headers = dict(step.get("headers", {}))
    status = step.get("status", 200)
    if "json" in step:
        headers.setdefault("content-type", "application/json")
        content = json.dumps(step["json"]).encode()
    elif "sse" in step:
        headers.setdefault("content-type", "text/event-stream")
        content = "".join(step["sse"]).encode()
    elif "b64" in step:
        content = base64.b64decode(step["b64"])
    else:
        content = step.get("text", "").encode()
    return httpx.Response(status, headers=headers, content=content, request=request)


def describe_request(request: httpx.Request, body: bytes) -> Dict[str, Any]:
    url = request.url
    entry: Dict[str, Any] = {"method": request.method, "path": url.path}
    if url.host != API_HOST:
        entry["host"] = url.host
    if url.query:
        entry["query"] = sorted(parse_qsl(url.query.decode(), keep_blank_values=True))
    headers = {}
    for name in RECORDED_HEADERS:
        if name in request.headers:
            headers[name] = request.headers[name]
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/form-data"):
        headers["content-type"] = "multipart/form-data"
        entry["multipart"] = parse_multipart(content_type, body)
    elif body:
        try:
            entry["json"] = json.loads(body)
        except ValueError:
            entry["body"] = body.decode("latin-1")
    entry["headers"] = headers
    return entry


def parse_multipart(content_type: str, body: bytes) -> List[Dict[str, str]]:
    """The parts of a multipart body without the random boundary."""
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    parts = []
    for chunk in body.split(b"--" + boundary)[1:]:
        if chunk.startswith(b"--"):
            break
        head, _, content = chunk.strip(b"\r\n").partition(b"\r\n\r\n")
        part = {"content": content.decode("latin-1")}
        for line in head.decode("latin-1").split("\r\n"):
            name, _, value = line.partition(":")
            part[name.strip().lower()] = value.strip()
        parts.append(part)
    return parts


FAKE = FakeAPI()


def _handle_request(self: Any, request: httpx.Request) -> httpx.Response:
    return FAKE.answer(request, request.read())


async def _handle_async_request(self: Any, request: httpx.Request) -> httpx.Response:
    return FAKE.answer(request, await request.aread())


# Nothing here speaks TLS: skip loading the CA bundle, which every new client would pay for.
ssl.SSLContext.load_verify_locations = lambda self, *args, **kwargs: None  # type: ignore[method-assign]
httpx.HTTPTransport.handle_request = _handle_request  # type: ignore[method-assign]
httpx.AsyncHTTPTransport.handle_async_request = _handle_async_request  # type: ignore[method-assign]

import replicate  # noqa: E402


def is_pydantic_model(value: Any) -> bool:
    return any(klass.__name__ == "BaseModel" for klass in type(value).__mro__) and hasattr(value, "dict")


def describe(value: Any, depth: int = 0) -> Any:
    """A JSON-able picture of a value, the same for equal values under either package."""
    if depth > 12:
        return "<too deep>"
    if isinstance(value, enum.Enum):  # before str: v0's event types are plain Enums
        return {"enum": describe(value.value)}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, bytes):
        return {"bytes": value.decode("latin-1")}
    if isinstance(value, (datetime.datetime, datetime.date)):
        return {"datetime": value.isoformat()}
    if isinstance(value, BaseException):
        return describe_exception(value)
    name = type(value).__name__.split("[")[0]  # pydantic v2 names a Page[Model] so
    if name == "FileOutput":
        try:
            content: Any = {"bytes": value.read().decode("latin-1")}
        except Exception as exc:  # the read's failure is part of the picture
            content = describe_exception(exc)
        return {"type": "FileOutput", "url": value.url, "read": content}
    if is_pydantic_model(value):
        fields = {key: item for key, item in value.dict().items() if not key.startswith("__")}
        picture = {"type": name, "dict": describe(fields, depth + 1)}
        if name == "Page":
            picture["len"] = len(value)
        return picture
    if isinstance(value, dict):
        return {str(key): describe(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [describe(item, depth + 1) for item in value]
    if hasattr(value, "__next__"):
        items = []
        try:
            for item in value:
                items.append(describe(item, depth + 1))
        except Exception as exc:
            items.append({"raised": describe_exception(exc)})
        return {"iterator": items}
    if hasattr(value, "__anext__"):
        return {"async iterator": "not consumed: use aout()"}
    return {"type": name, "repr": repr(value)}


V0_EXCEPTIONS = {
    "ReplicateException", "ModelError", "ReplicateError", "WebhookValidationError",
    "MissingWebhookHeaderError", "InvalidSecretKeyError", "MissingWebhookBodyError",
    "InvalidTimestampError", "InvalidSignatureError",
}


def describe_exception(exc: BaseException) -> Dict[str, Any]:
    """The exception as the v0 class it is (a per-status subclass reads as ReplicateError)."""
    kind = type(exc).__name__
    for klass in type(exc).__mro__:
        if klass.__name__ in V0_EXCEPTIONS or klass.__module__ == "builtins":
            kind = klass.__name__
            break
    return {"error": kind, "str": str(exc)}


async def _consume(value: Any) -> Any:
    if hasattr(value, "__anext__"):
        items = []
        try:
            async for item in value:
                items.append(await _consume(item))
        except Exception as exc:
            items.append({"raised": describe_exception(exc)})
        return {"async iterator": items}
    if type(value).__name__ == "FileOutput" and not isinstance(value, str):
        try:
            content: Any = {"bytes": (await value.aread()).decode("latin-1")}
        except Exception as exc:
            content = describe_exception(exc)
        return {"type": "FileOutput", "url": value.url, "aread": content}
    if isinstance(value, list):
        return [await _consume(item) for item in value]
    return describe(value)


def run_scenario(scenario: Dict[str, Any]) -> Dict[str, Any]:
    results: List[Any] = []

    def out(value: Any) -> None:
        results.append(describe(value))

    async def aout(value: Any) -> None:
        results.append(await _consume(value))

    namespace: Dict[str, Any] = {
        "replicate": replicate, "out": out, "aout": aout, "asyncio": asyncio,
        "__name__": "__scenario__",
    }
    FAKE.reset(scenario.get("routes", {}), scenario.get("foreign_auth", False))
    saved_environ = dict(os.environ)
    record: Dict[str, Any] = {"id": scenario["id"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            exec(compile(scenario["code"], f"<scenario {scenario['id']}>", "exec"), namespace)
            if "main" in namespace and asyncio.iscoroutinefunction(namespace["main"]):
                asyncio.run(namespace["main"]())
        except Exception as exc:
            record["raised"] = describe_exception(exc)
            record["traceback"] = traceback.format_exc(limit=-4)
        finally:
            os.environ.clear()
            os.environ.update(saved_environ)
    record["results"] = results
    record["requests"] = FAKE.requests
    record["warnings"] = sorted(
        {f"{w.category.__name__}: {w.message}" for w in caught if _from_user_code(w)}
    )
    return record


def _from_user_code(caught: warnings.WarningMessage) -> bool:
    """Warnings the scenario's code would see, not those of the interpreter's libraries."""
    return caught.filename.startswith("<scenario") or caught.category is UserWarning


def main(argv: Optional[List[str]] = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    with open(args[0], encoding="utf-8") as handle:
        scenarios = json.load(handle)
    for scenario in scenarios:
        started = time.perf_counter()
        record = run_scenario(scenario)
        record["seconds"] = round(time.perf_counter() - started, 3)
        sys.stdout.write(json.dumps(record, sort_keys=True, default=repr) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
