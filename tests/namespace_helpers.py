"""Helpers for the namespace tests: a scripted API, request assertions, and sync/async calls.

Every namespace test runs twice, once through the sync method and once through its
``async_`` twin: ``await call(mode, client.models, "get", "owner/name")``.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import httpx
import pytest

from replicate._version import __version__
from replicate.client import Client

TOKEN = "r8_namespace_test_token"
BASE = "https://api.replicate.com"

both_modes = pytest.mark.parametrize("mode", ["sync", "async"])
"""Run a test once with the sync methods and once with their `async_` twins."""


async def call(mode: str, target: Any, method: str, *args: Any, **kwargs: Any) -> Any:
    """Call `target.method(...)` (sync) or await `target.async_method(...)` (async)."""
    if mode == "sync":
        return getattr(target, method)(*args, **kwargs)
    return await getattr(target, f"async_{method}")(*args, **kwargs)


Reply = Union[httpx.Response, Callable[[httpx.Request], httpx.Response]]


class FakeAPI:
    """An API that answers each request with the next scripted reply and records the request."""

    def __init__(self, *replies: Reply) -> None:
        self.replies: List[Reply] = list(replies)
        self.requests: List[httpx.Request] = []

    def reply(self, status: int = 200, json_body: Any = None, **kwargs: Any) -> FakeAPI:
        """Script one more reply."""
        if json_body is not None:
            kwargs["json"] = json_body
        self.replies.append(httpx.Response(status, **kwargs))
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if not self.replies:
            return httpx.Response(500, json={"detail": f"unscripted request {request.method} {request.url}"})
        reply = self.replies.pop(0)
        return reply(request) if callable(reply) else reply

    def client(self, **kwargs: Any) -> Client:
        """A Client that sends every request here."""
        kwargs.setdefault("api_token", TOKEN)
        kwargs.setdefault("poll_interval", 0.001)
        return Client(transport=httpx.MockTransport(self.handler), **kwargs)

    @property
    def request(self) -> httpx.Request:
        """The only request sent."""
        assert len(self.requests) == 1, [f"{r.method} {r.url}" for r in self.requests]
        return self.requests[0]


def api(*replies: Tuple[int, Any]) -> Tuple[FakeAPI, Client]:
    """A FakeAPI scripted with (status, JSON body) replies, and a client for it."""
    fake = FakeAPI()
    for status, body in replies:
        if body is None:
            fake.replies.append(httpx.Response(status))
        else:
            fake.reply(status, body)
    return fake, fake.client()


def assert_request(
    request: httpx.Request,
    method: str,
    path: str,
    *,
    query: Optional[Mapping[str, str]] = None,
    json_body: Any = None,
    headers: Optional[Mapping[str, str]] = None,
    absent_headers: Sequence[str] = (),
    content: Optional[bytes] = None,
) -> None:
    """Assert the exact method, URL, query, standard headers and body of a request."""
    assert request.method == method
    assert request.url.scheme == "https"
    assert request.url.host == "api.replicate.com"
    assert request.url.path == path
    assert dict(request.url.params) == dict(query or {})
    assert request.headers["authorization"] == f"Bearer {TOKEN}"
    assert request.headers["user-agent"] == f"replicate-python/{__version__}"
    for name, value in (headers or {}).items():
        assert request.headers.get(name) == value, name
    for name in absent_headers:
        assert name not in request.headers, name
    if json_body is not None:
        assert request.headers["content-type"] == "application/json"
        sent = json.loads(request.content)
        assert sent == json_body
        assert list(sent) == list(json_body), "body keys are sent in v0's order"
    elif content is not None:
        assert request.content == content
    elif method in ("GET", "DELETE") or path.endswith("/cancel"):
        assert request.content == b""


# --- API answers, shaped like the live API's -------------------------------------------

VERSION_ID = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"

ACCOUNT: Dict[str, Any] = {
    "type": "organization",
    "username": "replicate",
    "name": "Replicate",
    "github_url": "https://github.com/replicate",
    "avatar_url": "https://example.com/avatar.png",
}

VERSION: Dict[str, Any] = {
    "id": VERSION_ID,
    "created_at": "2022-04-26T19:29:04.418669Z",
    "cog_version": "0.3.0",
    "openapi_schema": {"components": {"schemas": {"Output": {"type": "string"}}}},
}

PREDICTION: Dict[str, Any] = {
    "id": "ufawqhfynnddngldkgtslldrkq",
    "model": "replicate/hello-world",
    "version": VERSION_ID,
    "status": "starting",
    "input": {"text": "Alice"},
    "output": None,
    "logs": "",
    "error": None,
    "metrics": {},
    "created_at": "2022-04-26T22:13:06.224088Z",
    "started_at": None,
    "completed_at": None,
    "data_removed": False,
    "source": "api",
    "urls": {
        "get": "https://api.replicate.com/v1/predictions/ufawqhfynnddngldkgtslldrkq",
        "cancel": "https://api.replicate.com/v1/predictions/ufawqhfynnddngldkgtslldrkq/cancel",
    },
}

MODEL: Dict[str, Any] = {
    "url": "https://replicate.com/replicate/hello-world",
    "owner": "replicate",
    "name": "hello-world",
    "description": "A tiny model that says hello",
    "visibility": "public",
    "github_url": "https://github.com/replicate/cog-examples",
    "paper_url": None,
    "license_url": None,
    "run_count": 5681081,
    "cover_image_url": "https://example.com/cover.png",
    "default_example": {**PREDICTION, "status": "succeeded", "output": "hello Alice"},
    "latest_version": VERSION,
    "is_official": False,
}

TRAINING: Dict[str, Any] = {
    "id": "zz4ibbonubfz7carwiefibzgga",
    "model": "stability-ai/sdxl",
    "version": VERSION_ID,
    "destination": "alice/my-sdxl",
    "status": "starting",
    "input": {"input_images": "https://example.com/images.zip"},
    "output": None,
    "logs": "",
    "error": None,
    "created_at": "2023-03-28T21:47:58.566434Z",
    "started_at": None,
    "completed_at": None,
    "urls": {
        "get": "https://api.replicate.com/v1/trainings/zz4ibbonubfz7carwiefibzgga",
        "cancel": "https://api.replicate.com/v1/trainings/zz4ibbonubfz7carwiefibzgga/cancel",
    },
}

DEPLOYMENT: Dict[str, Any] = {
    "owner": "acme",
    "name": "image-upscaler",
    "current_release": {
        "number": 1,
        "model": "acme/esrgan",
        "version": VERSION_ID,
        "created_at": "2022-01-01T00:00:00Z",
        "created_by": {"type": "organization", "username": "acme", "name": "Acme Corp, Inc."},
        "configuration": {"hardware": "gpu-t4", "min_instances": 1, "max_instances": 5},
    },
}

COLLECTION: Dict[str, Any] = {
    "name": "Super resolution",
    "slug": "super-resolution",
    "description": "Upscaling models that create high-quality images from low-quality images.",
    "models": [MODEL, {**MODEL, "name": "hello-world-2", "default_example": None, "latest_version": None}],
}

FILE: Dict[str, Any] = {
    "id": "MTQzODcyMDct0YjZkLWE1ZGYtMmRjZTViNWIwOGEyNjNhNS0",
    "name": "hello.txt",
    "content_type": "text/plain",
    "size": 5,
    "etag": "5d41402abc4b2a76b9719d911017c592",
    "checksums": {"sha256": "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"},
    "metadata": {"purpose": "test"},
    "created_at": "2024-08-22T12:26:51.079Z",
    "expires_at": "2024-08-23T12:26:51.079Z",
    "urls": {"get": "https://api.replicate.com/v1/files/MTQzODcyMDct0YjZkLWE1ZGYtMmRjZTViNWIwOGEyNjNhNS0"},
}

HARDWARE: List[Dict[str, Any]] = [
    {"sku": "cpu", "name": "CPU"},
    {"sku": "gpu-t4", "name": "Nvidia T4 GPU"},
]


def page(results: List[Any], next: Optional[str] = None, previous: Optional[str] = None) -> Dict[str, Any]:
    """A page of results, as list endpoints answer."""
    return {"previous": previous, "next": next, "results": results}
