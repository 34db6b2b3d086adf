"""`replicate.use()`: a model as a function, its requests, and the shapes of its output."""

from __future__ import annotations

import asyncio
import copy
import importlib
import json
import os
import pickle
from pathlib import Path
from typing import Any, AsyncIterator, Dict, Iterator, List, Optional, Tuple, Union

import httpx
import pytest

import replicate
from replicate.client import Client
from replicate.exceptions import ModelError
from replicate.use import (
    AsyncFunction,
    AsyncRun,
    Function,
    OutputIterator,
    Run,
    URLPath,
    get_path_url,
    use,
)

API = "https://api.replicate.com"
LATEST = "5c7d5dc6dd8bf75c1acaa8565735e7986bc5b66206b55cca93cb72c9bf15ccaa"
PINNED = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3"
STREAM_URL = "https://stream.replicate.com/v1/streams/s1"
FILE_URL = "https://replicate.delivery/xezq/abc/out.png"
VERSIONS = "/v1/models/acme/echo/versions"

TEXT = {"type": "string"}
FILE = {"type": "string", "format": "uri"}
TOKENS = {
    "type": "array",
    "items": TEXT,
    "x-cog-array-type": "iterator",
    "x-cog-array-display": "concatenate",
}
FILES = {"type": "array", "items": FILE, "x-cog-array-type": "iterator"}

Answer = Union[Dict[str, Any], httpx.Response]


class FakeAPI:
    """Answers each (method, URL) with the next scripted answer (the last one repeats)."""

    def __init__(self) -> None:
        self.routes: Dict[Tuple[str, str], List[Answer]] = {}
        self.requests: List[httpx.Request] = []
        # A model with versions lists them (use() checks that it has some, as v0 1.1 does).
        self.on("GET", VERSIONS, {"results": [version()], "next": None, "previous": None})

    def on(self, method: str, url: str, *answers: Answer) -> None:
        self.routes[(method, url if url.startswith("http") else API + url)] = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answers = self.routes[(request.method, str(request.url))]
        answer = answers.pop(0) if len(answers) > 1 else answers[0]
        return answer if isinstance(answer, httpx.Response) else httpx.Response(200, json=answer)

    def client(self) -> Client:
        return Client(api_token="t", transport=httpx.MockTransport(self), poll_interval=0.01)

    def sent(self) -> List[Tuple[str, str]]:
        return [(r.method, str(r.url).replace(API, "")) for r in self.requests]

    def body(self, index: int) -> Any:
        return json.loads(self.requests[index].content)


def openapi(output: Dict[str, Any], **schemas: Any) -> Dict[str, Any]:
    return {
        "openapi": "3.0.2",
        "paths": {"/predictions": {"post": {}}},
        "components": {
            "schemas": {
                "Input": {"type": "object", "properties": {"prompt": TEXT}},
                "Output": output,
                **schemas,
            }
        },
    }


def version(
    id: str = LATEST, output: Optional[Dict[str, Any]] = None, **fields: Any
) -> Dict[str, Any]:
    return {
        "id": id,
        "created_at": "2024-01-01T00:00:00Z",
        "cog_version": "0.9.0",
        "openapi_schema": openapi(output or TEXT),
        **fields,
    }


def model(latest: Optional[Dict[str, Any]] = None, **fields: Any) -> Dict[str, Any]:
    return {
        "url": "https://replicate.com/acme/echo",
        "owner": "acme",
        "name": "echo",
        "visibility": "public",
        "run_count": 1,
        "latest_version": latest if latest is not None else version(),
        **fields,
    }


def prediction(status: str, output: Any = None, **fields: Any) -> Dict[str, Any]:
    urls = {"get": f"{API}/v1/predictions/p1", "cancel": f"{API}/v1/predictions/p1/cancel"}
    return {"id": "p1", "model": "acme/echo", "version": LATEST, "status": status, "input": {},
            "output": output, "urls": urls, **fields}  # fmt: skip


def serve(api: FakeAPI, output_schema: Dict[str, Any], *polls: Answer, **model_fields: Any) -> None:
    """A model `acme/echo` whose latest version has this output, run by version."""
    api.on("GET", "/v1/models/acme/echo", model(version(output=output_schema), **model_fields))
    api.on("POST", "/v1/predictions", prediction("starting"))
    api.on("GET", "/v1/predictions/p1", *polls)


def call(mode: str, function_ref: Any, client: Client, **inputs: Any) -> Any:
    if mode == "sync":
        return use(function_ref, client=client)(**inputs)
    return asyncio.run(use(function_ref, use_async=True, client=client)(**inputs))


modes = pytest.mark.parametrize("mode", ["sync", "async"])


@pytest.fixture(autouse=True)
def downloads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    # `replicate.use` is the function; the module is only in sys.modules.
    monkeypatch.setattr(
        importlib.import_module("replicate.use"), "_downloads_dir", lambda: tmp_path
    )
    return tmp_path


# --- which endpoint runs the model ------------------------------------------------------------


@modes
def test_official_model_runs_by_name(mode: str) -> None:
    api = FakeAPI()
    api.on("GET", "/v1/models/acme/echo", model(is_official=True))
    api.on("POST", "/v1/models/acme/echo/predictions", prediction("starting", version="hidden"))
    api.on("GET", "/v1/predictions/p1", prediction("succeeded", "hello hi", version="hidden"))

    assert call(mode, "acme/echo", api.client(), prompt="hi") == "hello hi"

    assert api.sent() == [
        ("GET", "/v1/models/acme/echo"),
        ("POST", "/v1/models/acme/echo/predictions"),
        ("GET", "/v1/predictions/p1"),
    ]
    assert api.body(1) == {"input": {"prompt": "hi"}}
    assert {r.headers["authorization"] for r in api.requests} == {"Bearer t"}


@modes
def test_unversioned_ref_runs_the_latest_version(mode: str) -> None:
    api = FakeAPI()
    serve(api, TEXT, prediction("processing"), prediction("succeeded", "hello hi"))

    assert call(mode, "acme/echo", api.client(), prompt="hi") == "hello hi"

    assert api.sent() == [
        ("GET", "/v1/models/acme/echo"),
        ("GET", VERSIONS),  # it has versions: run the latest one
        ("POST", "/v1/predictions"),
        ("GET", "/v1/predictions/p1"),
        ("GET", "/v1/predictions/p1"),
    ]
    assert api.body(2) == {"input": {"prompt": "hi"}, "version": LATEST}


@modes
def test_versioned_ref_runs_and_reads_that_version(mode: str) -> None:
    api = FakeAPI()
    api.on("GET", "/v1/models/acme/echo", model())  # latest outputs text
    api.on("GET", f"/v1/models/acme/echo/versions/{PINNED}", version(PINNED, output=FILE))
    api.on("POST", "/v1/predictions", prediction("succeeded", FILE_URL, version=PINNED))

    output = call(mode, f"acme/echo:{PINNED}", api.client(), prompt="hi")

    assert isinstance(output, URLPath) and get_path_url(output) == FILE_URL
    assert api.sent() == [
        ("GET", "/v1/models/acme/echo"),
        ("GET", f"/v1/models/acme/echo/versions/{PINNED}"),
        ("POST", "/v1/predictions"),
    ]
    assert api.body(2) == {"input": {"prompt": "hi"}, "version": PINNED}


def test_model_without_versions_runs_by_name_with_no_schema() -> None:
    api = FakeAPI()
    api.on("GET", "/v1/models/acme/echo", {**model(), "latest_version": None})
    api.on("POST", "/v1/models/acme/echo/predictions", prediction("succeeded", FILE_URL))
    f = use("acme/echo", client=api.client())

    assert f(prompt="hi") == FILE_URL  # without a schema, nothing says it is a file
    assert f.openapi_schema() == {}
    assert api.sent() == [
        ("GET", "/v1/models/acme/echo"),
        ("POST", "/v1/models/acme/echo/predictions"),
    ]


@modes
@pytest.mark.parametrize(
    "versions_status",
    [200, 404],
    ids=["empty", "404"],
)
def test_model_whose_versions_list_is_empty_or_missing_runs_by_name(mode: str, versions_status: int) -> None:
    api = FakeAPI()
    api.on("GET", "/v1/models/acme/echo", model(version(output=FILE)))  # says it has a latest
    if versions_status == 200:
        api.on("GET", VERSIONS, {"results": [], "next": None, "previous": None})
    else:
        api.on("GET", VERSIONS, httpx.Response(404, json={"detail": "Not found", "status": 404}))
    api.on("POST", "/v1/models/acme/echo/predictions", prediction("succeeded", FILE_URL))

    output = call(mode, "acme/echo", api.client(), prompt="hi")

    assert isinstance(output, URLPath) and get_path_url(output) == FILE_URL  # the latest's schema
    assert api.sent() == [
        ("GET", "/v1/models/acme/echo"),
        ("GET", VERSIONS),
        ("POST", "/v1/models/acme/echo/predictions"),
    ]
    assert api.body(2) == {"input": {"prompt": "hi"}}


def test_other_errors_listing_versions_are_raised() -> None:
    api = FakeAPI()
    api.on("GET", "/v1/models/acme/echo", model())
    api.on("GET", VERSIONS, httpx.Response(500, json={"detail": "boom", "status": 500}))
    with pytest.raises(replicate.exceptions.ReplicateError) as raised:
        use("acme/echo", client=api.client())(prompt="hi")
    assert raised.value.status == 500
    assert [method for method, _ in api.sent()] == ["GET", "GET"]


def test_function_looks_its_model_up_once() -> None:
    api = FakeAPI()
    serve(api, TEXT, prediction("succeeded", "ok"))
    f = use("acme/echo", client=api.client())

    f(prompt="a")
    f(prompt="b")

    assert [path for _, path in api.sent()].count("/v1/models/acme/echo") == 1
    assert [api.body(i)["input"] for i, r in enumerate(api.requests) if r.method == "POST"] == [
        {"prompt": "a"},
        {"prompt": "b"},
    ]


# --- the schema -----------------------------------------------------------------------------


def schema_of(openapi_schema: Dict[str, Any], cog_version: str = "0.9.0") -> Dict[str, Any]:
    api = FakeAPI()
    latest = {**version(), "openapi_schema": openapi_schema, "cog_version": cog_version}
    api.on("GET", "/v1/models/acme/echo", model(latest))
    return use("acme/echo", client=api.client()).openapi_schema()


def test_openapi_schema_inlines_nested_refs() -> None:
    given = {
        "openapi": "3.0.2",
        "paths": {"/predictions": {}},
        "components": {
            "schemas": {
                "Input": {
                    "type": "object",
                    "properties": {
                        "scheduler": {
                            "allOf": [{"$ref": "#/components/schemas/scheduler"}],
                            "default": "DDIM",
                        }
                    },
                },
                "scheduler": {"type": "string", "enum": ["DDIM", "K_EULER"]},
                "Output": {"$ref": "#/components/schemas/Result"},
                "Result": {
                    "type": "object",
                    "properties": {
                        "box": {"$ref": "#/components/schemas/Box", "description": "ignored"}
                    },
                },
                "Box": {"type": "array", "items": {"type": "integer"}},
            }
        },
    }

    assert schema_of(given) == {
        "openapi": "3.0.2",
        "paths": {},
        "components": {
            "schemas": {
                "Input": {
                    "type": "object",
                    "properties": {
                        "scheduler": {
                            "allOf": [{"type": "string", "enum": ["DDIM", "K_EULER"]}],
                            "default": "DDIM",
                        }
                    },
                },
                "Output": {
                    "type": "object",
                    "properties": {
                        # OpenAPI 3.0 ignores a $ref's siblings, and so does v0 1.1.
                        "box": {"type": "array", "items": {"type": "integer"}}
                    },
                },
            }
        },
    }


def ref(name: str) -> Dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


# Shaped as Cog writes a version's schema: paths refer to its request and response types.
COG_SCHEMA: Dict[str, Any] = {
    "openapi": "3.0.2",
    "info": {"title": "Cog", "version": "0.1.0"},
    "paths": {
        "/predictions": {
            "post": {
                "requestBody": {"content": {"application/json": {"schema": ref("PredictionRequest")}}},
                "responses": {
                    "200": {"content": {"application/json": {"schema": ref("PredictionResponse")}}},
                    "422": {"content": {"application/json": {"schema": ref("HTTPValidationError")}}},
                },
            }
        }
    },
    "components": {
        "schemas": {
            "Input": {
                "type": "object",
                "properties": {
                    "prompt": {"type": "string", "x-order": 0},
                    "scheduler": {"allOf": [ref("scheduler")], "default": "DDIM", "x-order": 1},
                },
            },
            "scheduler": {"type": "string", "enum": ["DDIM", "K_EULER"], "title": "scheduler"},
            "Output": {"type": "array", "items": ref("File"), "x-cog-array-type": "iterator"},
            "File": {"type": "string", "format": "uri"},
            "PredictionRequest": {
                "type": "object",
                "properties": {
                    "input": ref("Input"),
                    "webhook_events_filter": {"type": "array", "items": ref("WebhookEvent")},
                },
            },
            "PredictionResponse": {
                "type": "object",
                "properties": {"output": ref("Output"), "status": ref("Status")},
            },
            "Status": {"type": "string", "enum": ["starting", "processing", "succeeded"]},
            "WebhookEvent": {"type": "string", "enum": ["start", "output", "logs", "completed"]},
            "HTTPValidationError": {
                "type": "object",
                "properties": {"detail": {"type": "array", "items": ref("ValidationError")}},
            },
            "ValidationError": {"type": "object", "properties": {"msg": {"type": "string"}}},
            "Standalone": {"type": "object", "properties": {"note": {"type": "string"}}},
            "TrainingInput": {"type": "object", "properties": {"data": ref("File")}},
        }
    },
}


def test_openapi_schema_of_a_cog_version_is_shaped_as_v0_1_1s() -> None:
    # The expected value is what replicate 1.1.0b2's Function.openapi_schema() returns for it.
    schemas = COG_SCHEMA["components"]["schemas"]
    file = schemas["File"]

    assert schema_of(COG_SCHEMA, cog_version="0.9.0") == {
        "openapi": "3.0.2",
        "info": {"title": "Cog", "version": "0.1.0"},
        "paths": {},
        "components": {
            "schemas": {
                "Input": {
                    "type": "object",
                    "properties": {
                        "prompt": {"type": "string", "x-order": 0},
                        "scheduler": {"allOf": [schemas["scheduler"]], "default": "DDIM", "x-order": 1},
                    },
                },
                "Output": {"type": "array", "items": file, "x-cog-array-type": "iterator"},
                "Standalone": schemas["Standalone"],  # nothing refers to it: kept
                "TrainingInput": {"type": "object", "properties": {"data": file}},
            }
        },
    }
    assert COG_SCHEMA["components"]["schemas"]["Output"]["items"] == ref("File")  # not modified


def test_openapi_schema_keeps_a_cycle_as_a_ref() -> None:
    node = {
        "type": "object",
        "properties": {
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}
        },
    }
    given = openapi({"$ref": "#/components/schemas/Node"}, Node=node)

    schema = schema_of(given)

    assert schema["components"]["schemas"]["Output"] == node  # inlined once; the cycle stays a $ref
    assert schema["components"]["schemas"]["Node"] == node  # kept: the remaining $ref needs it


def test_openapi_schema_leaves_unknown_refs_alone() -> None:
    given = openapi({"$ref": "#/components/schemas/Missing"})
    assert schema_of(given)["components"]["schemas"]["Output"] == {
        "$ref": "#/components/schemas/Missing"
    }


def test_openapi_schema_marks_old_cog_arrays_as_iterators() -> None:
    given = openapi({"type": "array", "items": TEXT})
    output = schema_of(given, cog_version="0.3.8")["components"]["schemas"]["Output"]
    assert output == {"type": "array", "items": TEXT, "x-cog-array-type": "iterator"}


def test_openapi_schema_returns_a_copy() -> None:
    api = FakeAPI()
    serve(api, TEXT)
    f = use("acme/echo", client=api.client())
    f.openapi_schema()["components"].clear()
    assert f.openapi_schema()["components"]["schemas"]["Output"] == TEXT


# --- output shapes --------------------------------------------------------------------------


@modes
def test_text_token_iterator_returns_one_string(mode: str) -> None:
    api = FakeAPI()
    serve(api, TOKENS, prediction("succeeded", ["Hel", "lo", "!"]))
    assert call(mode, "acme/echo", api.client()) == "Hello!"


@modes
def test_iterator_of_files_returns_a_list_of_url_paths(mode: str) -> None:
    api = FakeAPI()
    urls = ["https://replicate.delivery/a/1.png", "https://replicate.delivery/a/2.png"]
    serve(api, FILES, prediction("succeeded", urls))

    output = call(mode, "acme/echo", api.client())

    assert isinstance(output, list) and all(isinstance(item, URLPath) for item in output)
    assert [get_path_url(item) for item in output] == urls


def test_files_inside_objects_become_url_paths() -> None:
    api = FakeAPI()
    result = {
        "type": "object",
        "properties": {
            "image": {"anyOf": [FILE, {"type": "null"}]},
            "masks": {"type": "array", "items": FILE},
            "caption": TEXT,
        },
    }
    answer = {"image": FILE_URL, "masks": [FILE_URL], "caption": "https://example.com is text here"}
    serve(api, result, prediction("succeeded", answer))

    output = use("acme/echo", client=api.client())()

    assert isinstance(output["image"], URLPath) and isinstance(output["masks"][0], URLPath)
    assert output["caption"] == "https://example.com is text here"


def test_non_iterator_list_stays_a_list() -> None:
    api = FakeAPI()
    serve(api, {"type": "array", "items": {"type": "integer"}}, prediction("succeeded", [1, 2]))
    assert use("acme/echo", client=api.client())() == [1, 2]


# --- streaming ------------------------------------------------------------------------------

SSE_BODY = (
    b": hi\n\n"
    b"event: output\nid: 1\ndata: Hel\n\n"
    b"event: output\nid: 2\ndata: lo\n\n"
    b"event: done\nid: 3\ndata: {}\n\n"
)


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body that arrives in these chunks."""

    def __init__(self, *chunks: bytes) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


def serve_stream(api: FakeAPI, *chunks: bytes) -> None:
    api.on("GET", "/v1/models/acme/echo", model(version(output=TOKENS)))
    urls = {"get": f"{API}/v1/predictions/p1", "stream": STREAM_URL}
    api.on("POST", "/v1/predictions", prediction("starting", urls=urls))
    body = Chunks(*(chunks or (SSE_BODY,)))
    api.on(
        "GET",
        STREAM_URL,
        httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=body),
    )


STREAMED_REQUESTS = [
    ("GET", "/v1/models/acme/echo"),
    ("GET", VERSIONS),
    ("POST", "/v1/predictions"),
    ("GET", STREAM_URL),
]


def test_streaming_reads_server_sent_events() -> None:
    api = FakeAPI()
    serve_stream(api)
    output = use("acme/echo", streaming=True, client=api.client())(prompt="hi")

    assert isinstance(output, OutputIterator)
    assert api.sent() == STREAMED_REQUESTS[:3]  # nothing streamed before iterating
    assert list(output) == ["Hel", "lo"]
    assert str(output) == "Hello"  # replayed, not streamed again
    assert api.sent() == STREAMED_REQUESTS
    stream_request = api.requests[3]
    assert stream_request.headers["accept"] == "text/event-stream"
    assert "authorization" not in stream_request.headers  # the stream host is not the API


async def test_async_streaming_reads_server_sent_events() -> None:
    api = FakeAPI()
    serve_stream(api)
    output = await use("acme/echo", streaming=True, use_async=True, client=api.client())(
        prompt="hi"
    )

    assert [token async for token in output] == ["Hel", "lo"]
    assert await output == "Hello"
    assert api.sent() == STREAMED_REQUESTS


def test_streamed_error_raises_model_error() -> None:
    api = FakeAPI()
    serve_stream(
        api,
        b"event: output\nid: 1\ndata: Hel\n\n",
        b'event: error\nid: 2\ndata: {"detail": "out of memory"}\n\n',
    )
    output = use("acme/echo", streaming=True, client=api.client())()
    received: List[str] = []

    with pytest.raises(ModelError) as raised:
        for token in output:
            received.append(token)

    assert received == ["Hel"]
    assert raised.value.prediction.error == "out of memory"


@modes
def test_streaming_polls_when_there_is_no_stream_url(mode: str) -> None:
    api = FakeAPI()
    serve(
        api,
        TOKENS,
        prediction("processing", ["a"]),
        prediction("processing", ["a", "b"]),
        prediction("succeeded", ["a", "b", "c"]),
    )

    if mode == "sync":
        output = use("acme/echo", streaming=True, client=api.client())()
        items = list(output)
    else:

        async def consume() -> List[str]:
            output = await use("acme/echo", streaming=True, use_async=True, client=api.client())()
            return [item async for item in output]

        items = asyncio.run(consume())

    assert items == ["a", "b", "c"]
    assert (
        api.sent()
        == [("GET", "/v1/models/acme/echo"), ("GET", VERSIONS), ("POST", "/v1/predictions")]
        + [("GET", "/v1/predictions/p1")] * 3
    )


def test_streaming_polls_for_items_that_are_not_text() -> None:
    api = FakeAPI()
    numbers = {"type": "array", "items": {"type": "integer"}, "x-cog-array-type": "iterator"}
    api.on("GET", "/v1/models/acme/echo", model(version(output=numbers)))
    api.on(
        "POST", "/v1/predictions", prediction("starting", urls={"get": "g", "stream": STREAM_URL})
    )
    api.on("GET", "/v1/predictions/p1", prediction("succeeded", [1, 2]))

    assert list(use("acme/echo", streaming=True, client=api.client())()) == [1, 2]
    assert ("GET", STREAM_URL) not in api.sent()


def test_streamed_file_items_become_url_paths() -> None:
    api = FakeAPI()
    serve(
        api,
        FILES,
        prediction("processing", [FILE_URL]),
        prediction("succeeded", [FILE_URL, FILE_URL]),
    )
    items = list(use("acme/echo", streaming=True, client=api.client())())
    assert [type(item) for item in items] == [URLPath, URLPath]


def test_output_iterator_iterates_both_ways_and_replays() -> None:
    calls: List[str] = []

    def tokens() -> Iterator[str]:
        calls.append("sync")
        yield from ["a", "b"]

    async def async_tokens() -> AsyncIterator[str]:
        calls.append("async")
        for token in ("a", "b"):
            yield token

    joined: OutputIterator[str] = OutputIterator(tokens, async_tokens, {}, is_concatenate=True)
    assert str(joined) == "ab"
    assert list(joined) == ["a", "b"]

    listed: OutputIterator[str] = OutputIterator(tokens, async_tokens, {}, is_concatenate=False)

    async def collect() -> Any:
        return await listed, [item async for item in listed]

    assert asyncio.run(collect()) == (["a", "b"], ["a", "b"])
    assert str(listed) == "['a', 'b']"
    assert calls == ["sync", "async"]  # each iterator ran its source once


# --- failures -------------------------------------------------------------------------------


@modes
def test_failed_prediction_raises_model_error(mode: str) -> None:
    api = FakeAPI()
    serve(api, TEXT, prediction("failed", error="boom", logs="Traceback ..."))

    with pytest.raises(ModelError) as raised:
        call(mode, "acme/echo", api.client(), prompt="hi")

    assert raised.value.prediction.status == "failed"
    assert raised.value.prediction.error == "boom"
    assert str(raised.value) == "boom"


def test_failure_while_streaming_by_polling_raises_model_error() -> None:
    api = FakeAPI()
    serve(api, TOKENS, prediction("processing", ["a"]), prediction("failed", ["a"], error="boom"))
    output = use("acme/echo", streaming=True, client=api.client())()

    with pytest.raises(ModelError, match="boom"):
        list(output)


def test_bad_references_and_inputs_are_named() -> None:
    with pytest.raises(
        ValueError, match=r"ref must be 'owner/name' or 'owner/name:version', got 'echo'"
    ):
        use("echo")
    with pytest.raises(TypeError, match="ref must be"):
        use(42)  # type: ignore[call-overload]
    api = FakeAPI()
    serve(api, TEXT)
    with pytest.raises(TypeError, match="keyword arguments"):
        use("acme/echo", client=api.client())("positional")
    assert api.requests == []


# --- files ----------------------------------------------------------------------------------


def test_url_path_downloads_on_first_filesystem_use(downloads: Path) -> None:
    api = FakeAPI()
    serve(api, FILE, prediction("succeeded", FILE_URL))
    api.on("GET", FILE_URL, httpx.Response(200, content=b"\x89PNG..."))
    output = use("acme/echo", client=api.client())()
    before = len(api.requests)

    assert isinstance(output, URLPath)
    assert repr(output) == f"URLPath({FILE_URL!r})"
    assert len(api.requests) == before  # nothing downloaded yet

    with open(output, "rb") as file:
        assert file.read() == b"\x89PNG..."
    local = Path(output)

    assert local.name == "out.png" and downloads in local.parents
    assert api.sent()[before:] == [("GET", FILE_URL)]
    assert "authorization" not in api.requests[-1].headers  # the token stays with the API
    assert os.fspath(output) == str(local) and len(api.requests) == before + 1  # downloaded once
    assert get_path_url(output) == FILE_URL
    assert get_path_url(local) == FILE_URL
    assert get_path_url(str(local)) == FILE_URL


def test_files_on_the_api_host_are_fetched_with_the_token() -> None:
    api = FakeAPI()
    url = f"{API}/v1/files/f1/download?expiry=1&signature=s"
    api.on("GET", url, httpx.Response(200, content=b"data"))

    assert Path(URLPath(url, client=api.client())).read_bytes() == b"data"
    assert api.requests[0].headers["authorization"] == "Bearer t"


def test_data_uri_outputs_decode_without_a_request() -> None:
    api = FakeAPI()
    path = URLPath("data:text/plain;base64,aGVsbG8=", client=api.client())
    assert Path(path).read_bytes() == b"hello"
    assert Path(path).name == "output.txt"
    assert api.requests == []


def test_url_paths_copy_and_pickle_with_their_download() -> None:
    api = FakeAPI()
    api.on("GET", FILE_URL, httpx.Response(200, content=b"png"))
    original = URLPath(FILE_URL, client=api.client())
    fresh = copy.deepcopy(URLPath(FILE_URL))
    local = os.fspath(original)

    for duplicate in (copy.deepcopy(original), pickle.loads(pickle.dumps(original))):
        assert get_path_url(duplicate) == FILE_URL
        assert os.fspath(duplicate) == local
    assert os.fspath(fresh) == local  # same URL, already downloaded in this process
    assert len(api.requests) == 1


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("https://replicate.delivery/a/my%20image.webp?sig=1", "my image.webp"),
        ("https://replicate.delivery/a/%2E%2E", "output"),
        ("https://replicate.delivery/a/..%2F..%2Fescape.png", "escape.png"),
        ("https://replicate.delivery/", "output"),
        ("https://replicate.delivery/" + "x" * 300 + ".png", "output.png"),
    ],
)
def test_downloads_are_named_after_the_url_and_stay_in_their_directory(
    url: str, name: str, downloads: Path
) -> None:
    api = FakeAPI()
    api.on("GET", url, httpx.Response(200, content=b"x"))
    local = Path(URLPath(url, client=api.client()))
    assert local.name == name and local.parent.parent == downloads


def test_get_path_url_knows_only_what_it_made() -> None:
    assert get_path_url(URLPath(FILE_URL)) == FILE_URL
    assert get_path_url(Path("/somewhere/else.png")) is None
    assert get_path_url("/somewhere/else.png") is None
    assert get_path_url(42) is None


@modes
def test_url_paths_and_downloaded_paths_go_back_in_as_urls(mode: str) -> None:
    api = FakeAPI()
    serve(api, TEXT, prediction("succeeded", "ok"))
    api.on("GET", FILE_URL, httpx.Response(200, content=b"png"))
    client = api.client()
    downloaded = Path(URLPath(FILE_URL, client=client))
    other = "https://replicate.delivery/xezq/def/mask.png"

    call(mode, "acme/echo", client, image=URLPath(other), mask=downloaded, images=[URLPath(other)])

    post = next(i for i, r in enumerate(api.requests) if r.method == "POST")
    assert api.body(post)["input"] == {"image": other, "mask": FILE_URL, "images": [other]}
    assert ("GET", other) not in api.sent()  # passing a URLPath on does not download it


def test_other_paths_are_uploaded(tmp_path: Path) -> None:
    api = FakeAPI()
    serve(api, TEXT, prediction("succeeded", "ok"))
    uploaded = {"id": "f1", "name": "in.txt", "content_type": "text/plain", "size": 2, "etag": "e",
                "checksums": {}, "metadata": {}, "created_at": "2024-01-01T00:00:00Z",
                "urls": {"get": f"{API}/v1/files/f1"}}  # fmt: skip
    api.on("POST", "/v1/files", uploaded)
    local = tmp_path / "in.txt"
    local.write_text("hi")

    use("acme/echo", client=api.client())(document=local)

    assert api.sent()[2] == ("POST", "/v1/files")
    assert api.body(3)["input"] == {"document": f"{API}/v1/files/f1"}


def test_output_iterators_go_back_in_as_their_values() -> None:
    api = FakeAPI()
    serve(api, TEXT, prediction("succeeded", "ok"))
    tokens: OutputIterator[str] = OutputIterator(
        lambda: iter(["a", "b"]), _no_async, {}, is_concatenate=True
    )
    items: OutputIterator[str] = OutputIterator(
        lambda: iter(["a", "b"]), _no_async, {}, is_concatenate=False
    )

    use("acme/echo", client=api.client())(text=tokens, list=items)

    assert api.body(2)["input"] == {"text": "ab", "list": ["a", "b"]}


def _no_async() -> Any:
    raise AssertionError("not used")


# --- the function objects -------------------------------------------------------------------


class EchoRef:
    name = "acme/echo"

    def __call__(self, prompt: str) -> str:
        raise NotImplementedError


@modes
def test_function_ref_objects_name_the_model(mode: str) -> None:
    api = FakeAPI()
    serve(api, TEXT, prediction("succeeded", "ok"))
    assert call(mode, EchoRef(), api.client(), prompt="hi") == "ok"
    assert api.sent()[0] == ("GET", "/v1/models/acme/echo")


def test_use_returns_function_or_async_function() -> None:
    assert isinstance(use("acme/echo"), Function)
    assert isinstance(use("acme/echo", use_async=True), AsyncFunction)
    assert repr(use("acme/echo:v1")) == "Function('acme/echo:v1')"


def test_create_returns_a_run_with_logs() -> None:
    api = FakeAPI()
    serve(
        api,
        TEXT,
        prediction("processing", logs="step 1"),
        prediction("succeeded", "ok", logs="step 1\nstep 2"),
    )
    run = use("acme/echo", client=api.client()).create(prompt="hi")

    assert isinstance(run, Run)
    assert run.logs() == "step 1"
    assert run.output() == "ok"
    assert run.logs() == "step 1\nstep 2"


async def test_async_create_returns_an_async_run() -> None:
    api = FakeAPI()
    serve(api, TEXT, prediction("succeeded", "ok", logs="done"))
    run = await use("acme/echo", use_async=True, client=api.client()).create(prompt="hi")

    assert isinstance(run, AsyncRun)
    assert await run.output() == "ok"
    assert await run.logs() == "done"


def test_default_example() -> None:
    api = FakeAPI()
    example = prediction("succeeded", "hello world", input={"prompt": "world"})
    api.on("GET", "/v1/models/acme/echo", model(default_example=example))

    assert use("acme/echo", client=api.client()).default_example == example


async def test_async_default_example_needs_the_model_looked_up() -> None:
    api = FakeAPI()
    api.on("GET", "/v1/models/acme/echo", model(default_example=None))
    f = use("acme/echo", use_async=True, client=api.client())

    with pytest.raises(RuntimeError, match="openapi_schema"):
        f.default_example  # noqa: B018
    await f.openapi_schema()
    assert f.default_example is None


def test_module_level_use_runs_on_the_default_client(monkeypatch: pytest.MonkeyPatch) -> None:
    api = FakeAPI()
    serve(api, TEXT, prediction("succeeded", "ok"))
    monkeypatch.setattr(replicate, "default_client", api.client())

    assert replicate.use("acme/echo")(prompt="hi") == "ok"
    assert api.sent()[0] == ("GET", "/v1/models/acme/echo")


def test_client_use_has_replicate_use_signature_and_binds_the_client() -> None:
    import inspect

    module_use = inspect.signature(use).parameters
    client_use = inspect.signature(Client.use).parameters
    assert list(client_use) == ["self", *(name for name in module_use if name != "client")]
    for name, parameter in client_use.items():
        if name != "self":
            assert (parameter.kind, parameter.default) == (module_use[name].kind, module_use[name].default)

    api = FakeAPI()
    serve(api, TEXT, prediction("succeeded", "ok"))
    client = api.client()
    assert client.use("acme/echo")(prompt="hi") == "ok"
    function = client.use("acme/echo", use_async=True, streaming=True)
    assert isinstance(function, AsyncFunction) and function._client is client
    assert len(api.requests) == 4  # model, versions, create, poll: all through this client


# --- nothing left behind ----------------------------------------------------------------------

CLEANUP_SCRIPT = """
import json, os, sys
import httpx
from replicate.client import Client
from replicate.use import use

answers, ending = json.loads(sys.argv[1]), sys.argv[2]

def handler(request):
    if request.url.host == "replicate.delivery":
        return httpx.Response(200, content=request.url.path.encode())
    return httpx.Response(200, json=answers[request.method + " " + request.url.path])

client = Client(api_token="t", transport=httpx.MockTransport(handler))
first = use("acme/echo", client=client)(prompt="hi")
kept = os.fspath(first)
if ending == "fork":
    child = os.fork()
    if child == 0:  # the child downloads into a directory of its own, then exits normally
        other = use("acme/echo", client=client)(prompt="child")
        assert os.path.dirname(os.path.dirname(os.fspath(other))) != os.path.dirname(os.path.dirname(kept))
        sys.exit(0)
    assert os.waitpid(child, 0)[1] == 0
assert open(kept, "rb").read() == b"/a/out.png"  # still readable: the parent's directory stays
print(kept)
if ending == "exception":
    raise SystemExit("the script ends with an error")
"""


@pytest.mark.parametrize("ending", ["normal", "exception", "fork"])
def test_use_leaves_nothing_in_the_temp_dir(ending: str, tmp_path: Path) -> None:
    import subprocess
    import sys

    if ending == "fork" and not hasattr(os, "fork"):
        pytest.skip("no os.fork on this platform")
    temp = tmp_path / "tmp"
    temp.mkdir()
    answers = {
        "GET /v1/models/acme/echo": model(version(output=FILE)),
        "GET /v1/models/acme/echo/versions": {"results": [version()], "next": None},
        "POST /v1/predictions": prediction("succeeded", "https://replicate.delivery/a/out.png"),
    }
    result = subprocess.run(
        [sys.executable, "-c", CLEANUP_SCRIPT, json.dumps(answers), ending],
        env={**os.environ, "TMPDIR": str(temp)},
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == (1 if ending == "exception" else 0), result.stderr
    downloaded = Path(result.stdout.strip())
    assert temp in downloaded.parents and downloaded.name == "out.png"
    assert list(temp.iterdir()) == []  # the download and its directory are gone
