"""The fake API's answers: v0-shaped JSON bodies and the default route script.

Bodies carry exactly the fields replicate 1.0.7 declares, so a scenario shows a difference in
behaviour, not in what each package keeps of an answer.
"""

from __future__ import annotations

import base64
import copy
from typing import Any, Dict, List, Optional

API = "https://api.replicate.com"
VID = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
ITER_VID = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3"
FILE_URL = "https://replicate.delivery/pbxt/out.png"
FILE_BYTES = b"\x89PNG-fake-image"
STREAM_URL = "https://stream.replicate.com/v1/streams/p1"

Step = Dict[str, Any]
Routes = Dict[str, List[Step]]


def J(body: Any, status: int = 200, headers: Optional[Dict[str, str]] = None) -> Step:
    """A JSON answer."""
    step: Step = {"json": body, "status": status}
    if headers:
        step["headers"] = headers
    return step


def TEXT(text: str, status: int = 200, content_type: str = "text/plain") -> Step:
    return {"text": text, "status": status, "headers": {"content-type": content_type}}


def BYTES(content: bytes, content_type: str = "image/png") -> Step:
    return {"b64": base64.b64encode(content).decode(), "headers": {"content-type": content_type}}


def EMPTY(status: int = 204) -> Step:
    return {"text": "", "status": status}


def SSE(*events: str) -> Step:
    """An event stream; each event is 'name:data' (data lines split on newlines)."""
    chunks = []
    for number, event in enumerate(events, start=1):
        name, _, data = event.partition(":")
        lines = "".join(f"data: {line}\n" for line in data.split("\n"))
        chunks.append(f"event: {name}\nid: {number}\n{lines}\n")
    return {"sse": chunks, "headers": {"content-type": "text/event-stream"}}


def prediction(
    id: str = "p1",
    status: str = "succeeded",
    output: Any = "hello world",
    *,
    logs: Optional[str] = "",
    error: Optional[str] = None,
    version: str = VID,
    model: str = "acme/hello",
    stream: bool = True,
    input: Optional[Dict[str, Any]] = None,
) -> Dict[str, Any]:
    urls = {"get": f"{API}/v1/predictions/{id}", "cancel": f"{API}/v1/predictions/{id}/cancel"}
    if stream:
        urls["stream"] = f"https://stream.replicate.com/v1/streams/{id}"
    done = status in ("succeeded", "failed", "canceled")
    return {
        "id": id,
        "model": model,
        "version": version,
        "status": status,
        "input": {"text": "world"} if input is None else input,
        "output": output,
        "logs": logs,
        "error": error,
        "metrics": {"predict_time": 0.5} if done else {},
        "created_at": "2024-05-01T10:00:00.000000Z",
        "started_at": None if status == "starting" else "2024-05-01T10:00:01.000000Z",
        "completed_at": "2024-05-01T10:00:02.000000Z" if done else None,
        "urls": urls,
    }


def schema(iterator: bool = False) -> Dict[str, Any]:
    output: Dict[str, Any] = {"type": "string", "title": "Output"}
    if iterator:
        output = {"type": "array", "items": {"type": "string"}, "title": "Output",
                  "x-cog-array-type": "iterator", "x-cog-array-display": "concatenate"}
    return {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": {},
        "components": {"schemas": {
            "Input": {"type": "object", "title": "Input",
                      "properties": {"text": {"type": "string", "title": "Text", "x-order": 0}}},
            "Output": output,
        }},
    }


def version(id: str = VID, iterator: bool = False) -> Dict[str, Any]:
    return {"id": id, "created_at": "2024-04-01T00:00:00.000000Z", "cog_version": "0.9.4",
            "openapi_schema": schema(iterator)}


def model(owner: str = "acme", name: str = "hello", latest: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    return {
        "url": f"https://replicate.com/{owner}/{name}",
        "owner": owner,
        "name": name,
        "description": "Says hello",
        "visibility": "public",
        "github_url": "https://github.com/acme/hello",
        "paper_url": None,
        "license_url": None,
        "run_count": 42,
        "cover_image_url": None,
        "default_example": None,
        "latest_version": version() if latest is None else latest,
    }


ACCOUNT = {"type": "organization", "username": "acme", "name": "Acme Inc.",
           "github_url": "https://github.com/acme"}


def deployment(owner: str = "acme", name: str = "dep") -> Dict[str, Any]:
    return {
        "owner": owner,
        "name": name,
        "current_release": {
            "number": 3,
            "model": "acme/hello",
            "version": VID,
            "created_at": "2024-04-02T00:00:00.000000Z",
            "created_by": ACCOUNT,
            "configuration": {"hardware": "gpu-t4", "min_instances": 0, "max_instances": 2},
        },
    }


def training(id: str = "t1", status: str = "succeeded", output: Any = None,
             destination: Optional[str] = "acme/tuned") -> Dict[str, Any]:
    return {
        "id": id,
        "model": "acme/hello",
        "version": VID,
        "destination": destination,
        "status": status,
        "input": {"train_data": "https://example.com/data.zip"},
        "output": output,
        "logs": "",
        "error": None,
        "created_at": "2024-05-01T10:00:00.000000Z",
        "started_at": None,
        "completed_at": None,
        "urls": {"get": f"{API}/v1/trainings/{id}", "cancel": f"{API}/v1/trainings/{id}/cancel"},
    }


FILE = {
    "id": "f1",
    "name": "data.txt",
    "content_type": "text/plain",
    "size": 5,
    "etag": "abc123",
    "checksums": {"sha256": "2cf24d"},
    "metadata": {},
    "created_at": "2024-05-01T10:00:00.000000Z",
    "expires_at": "2024-05-02T10:00:00.000000Z",
    "urls": {"get": f"{API}/v1/files/f1"},
}

COLLECTION = {"slug": "super-resolution", "name": "Super resolution",
              "description": "Upscaling models", "models": [model()]}

HARDWARE = [{"sku": "cpu", "name": "CPU"}, {"sku": "gpu-t4", "name": "Nvidia T4 GPU"}]

WEBHOOK_SECRET = {"key": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}


def page(results: List[Any], next: Optional[str] = None, previous: Optional[str] = None) -> Dict[str, Any]:
    return {"previous": previous, "next": next, "results": results}


def default_routes() -> Routes:
    """What the fake API answers when a scenario scripts nothing else for a route."""
    running = prediction(status="starting", output=None, logs=None)
    processing = prediction(status="processing", output=None, logs="1%|          | 1/100")
    routes: Routes = {
        "POST /v1/predictions": [J(running, 201)],
        "GET /v1/predictions/p1": [J(processing), J(prediction())],
        "POST /v1/predictions/p1/cancel": [J(prediction(status="canceled", output=None))],
        "GET /v1/predictions": [J(page([prediction()], next=f"{API}/v1/predictions?cursor=c2"))],
        "POST /v1/models/acme/hello/predictions": [J(running, 201)],
        "POST /v1/deployments/acme/dep/predictions": [J(running, 201)],
        "GET /v1/models/acme/hello": [J(model())],
        "GET /v1/models": [J(page([model()], next=None))],
        "QUERY /v1/models": [J(page([model()]))],
        "POST /v1/models": [J(model("acme", "new"), 201)],
        "DELETE /v1/models/acme/hello": [EMPTY()],
        f"GET /v1/models/acme/hello/versions/{VID}": [J(version())],
        "GET /v1/models/acme/hello/versions": [J(page([version()]))],
        f"DELETE /v1/models/acme/hello/versions/{VID}": [EMPTY()],
        f"GET /v1/models/acme/chat/versions/{ITER_VID}": [J(version(ITER_VID, iterator=True))],
        "GET /v1/models/acme/chat": [J(model("acme", "chat", latest=version(ITER_VID, iterator=True)))],
        "GET /v1/deployments": [J(page([deployment()]))],
        "GET /v1/deployments/acme/dep": [J(deployment())],
        "POST /v1/deployments": [J(deployment(), 201)],
        "PATCH /v1/deployments/acme/dep": [J(deployment())],
        "DELETE /v1/deployments/acme/dep": [EMPTY()],
        "GET /v1/trainings": [J(page([training()]))],
        "GET /v1/trainings/t1": [J(training())],
        "POST /v1/trainings/t1/cancel": [J(training(status="canceled"))],
        f"POST /v1/models/acme/hello/versions/{VID}/trainings": [J(training(status="starting"), 201)],
        "POST /v1/files": [J(FILE, 201)],
        "GET /v1/files": [J(page([FILE]))],
        "GET /v1/files/f1": [J(FILE)],
        "DELETE /v1/files/f1": [EMPTY()],
        "GET /v1/collections": [J(page([COLLECTION]))],
        "GET /v1/collections/super-resolution": [J(COLLECTION)],
        "GET /v1/hardware": [J(HARDWARE)],
        "GET /v1/account": [J(ACCOUNT)],
        "GET /v1/webhooks/default/secret": [J(WEBHOOK_SECRET)],
        f"GET {FILE_URL}": [BYTES(FILE_BYTES)],
        f"GET {STREAM_URL}": [SSE("output:hello", "output: world", "done:{}")],
    }
    return copy.deepcopy(routes)
