"""Every code example of the newer SDK's documentation (seeds 002 and 004), run against mocked HTTP.

Each example runs twice, on `Replicate` and on `AsyncReplicate` (``await client.x.y(...)``,
``async for``); the seed-004 examples, written against the module (``replicate.x.y(...)``), run
a third time on the package itself, whose default client is a v0 `Client`. Each test asserts
the exact requests sent and the shape of the result.

Examples that cannot run exactly as written, and what is tested instead:

- ``"model:version"``, ``"model1"``: not model references (a reference is ``owner/name``,
  ``owner/name:version`` or a version id); they raise ValueError, and the examples run with
  ``acme/model:<version>`` and ``acme/model1``.
- ``sku.specs`` (hardware) and ``account.email``: the API does not send these fields; they are
  readable when it does (resources keep unknown fields), and AttributeError otherwise.
- The Flask webhook handler: Flask is not a dependency, and Replicate signs webhooks with the
  Standard Webhooks scheme (``webhook-id``/``webhook-timestamp``/``webhook-signature``), not the
  seed's hex HMAC of the body in ``X-Replicate-Signature``. The seed's ``verify_webhook`` runs
  as written, and ``replicate.webhooks.validate`` checks a webhook signed the real way.
- The hand-written polling loop sleeps 2 s between polls: ``time.sleep`` is replaced by a
  recorder, so the loop runs as written without waiting.
- ``DefaultHttpxClient(proxy=...)``: no proxy is reachable offline; the client is built and
  its transport checked, and the request path is tested with a mocked transport.
- ``input={"image": "path/to/image.jpg"}``: a string is sent as it is, as in v0 (it may be
  text); a ``pathlib.Path`` is uploaded.
- ``page.results[0]`` on ``replicate.files.list()``: the module follows v0, where files.list
  returns a list (``files[0]``); ``Replicate().files.list()`` returns a page.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import inspect
import io
import json
import pathlib
import time
from typing import Any, AsyncIterator, Callable, Dict, List, Optional, Tuple, Union

import httpx
import pytest
from namespace_helpers import (
    ACCOUNT,
    COLLECTION,
    DEPLOYMENT,
    FILE,
    HARDWARE,
    MODEL,
    PREDICTION,
    TRAINING,
    VERSION,
    VERSION_ID,
    page,
)

import replicate
from replicate import AsyncReplicate, Client, DefaultAsyncHttpxClient, DefaultHttpxClient, Replicate
from replicate._transport import RetryTransport
from replicate.exceptions import (
    AuthenticationError,
    ModelError,
    NotFoundError,
    RateLimitError,
    ReplicateError,
)
from replicate.file import File
from replicate.helpers import FileOutput
from replicate.pagination import AsyncCursorURLPage, Page, SyncCursorURLPage
from replicate.types import Prediction, PredictionStatus

TOKEN = "r8_seed"
API = "https://api.replicate.com"
STREAM_URL = "https://stream.replicate.com/v1/files/streams/abc123"
SDXL = "39ed52f2a78e934b3ba6e2a89f5b1c712de7dfea535525255b1aa35c5565e08b"

Handler = Callable[[httpx.Request], httpx.Response]
AnyClient = Union[Replicate, AsyncReplicate]


# --- a scripted API ---------------------------------------------------------------------


class MockAPI:
    """Answers each (method, URL) with its scripted replies, in order (the last one repeats),
    and records every request. An unscripted request fails the test."""

    def __init__(self) -> None:
        self.routes: Dict[Tuple[str, str], List[Handler]] = {}
        self.requests: List[httpx.Request] = []

    def on(
        self,
        method: str,
        url: str,
        status: int = 200,
        json_body: Any = None,
        *,
        content: Optional[bytes] = None,
        headers: Optional[Dict[str, str]] = None,
    ) -> MockAPI:
        """Script one more reply to `method url` (a path is on the API's origin)."""
        options: Dict[str, Any] = {"headers": headers or {}}
        if json_body is not None:
            options["json"] = json_body
        if content is not None:
            options["content"] = content
        self.routes.setdefault((method, absolute(url)), []).append(lambda _: httpx.Response(status, **options))
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        url = str(request.url)
        replies = self.routes.get((request.method, url)) or self.routes.get((request.method, url.split("?")[0]))
        if not replies:
            raise AssertionError(f"unscripted request: {request.method} {url}")
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        return reply(request)

    def sent(self, method: str, url: str) -> List[httpx.Request]:
        """The requests sent to `method url` (any query)."""
        target = absolute(url)
        return [r for r in self.requests if r.method == method and str(r.url).split("?")[0] == target]

    def one(self, method: str, url: str) -> httpx.Request:
        """The only request sent to `method url`."""
        requests = self.sent(method, url)
        assert len(requests) == 1, [f"{r.method} {r.url}" for r in self.requests]
        return requests[0]

    @property
    def calls(self) -> List[str]:
        """Every request, as "METHOD url"."""
        return [f"{r.method} {r.url}" for r in self.requests]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)


def use_default_client(monkeypatch: pytest.MonkeyPatch, client: Client) -> None:
    """Make `client` the package's default client for one test, without creating (and then
    restoring) a default client built from this test's environment."""
    monkeypatch.setitem(vars(replicate), "default_client", client)


def absolute(url: str) -> str:
    return API + url if url.startswith("/") else url


def check(
    request: httpx.Request,
    *,
    query: Optional[Dict[str, str]] = None,
    json_body: Any = None,
    headers: Optional[Dict[str, str]] = None,
    absent: Tuple[str, ...] = (),
    authorized: bool = True,
) -> None:
    """Assert a request's query, standard headers, chosen headers and JSON body."""
    assert dict(request.url.params) == (query or {})
    if authorized:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["user-agent"].startswith("replicate-python/")
    else:
        assert "authorization" not in request.headers
    for name, value in (headers or {}).items():
        assert request.headers.get(name) == value, name
    for name in absent:
        assert name not in request.headers, name
    if json_body is not None:
        assert request.headers["content-type"] == "application/json"
        assert json.loads(request.content) == json_body
    elif request.method in ("GET", "DELETE"):
        assert request.content == b""


async def resolve(value: Any) -> Any:
    """The result of a call on either client: awaited on AsyncReplicate."""
    return await value if inspect.isawaitable(value) else value


async def collect(value: Any) -> List[Any]:
    """Every item of a call's result: ``async for`` on AsyncReplicate, ``for`` otherwise."""
    if hasattr(value, "__aiter__"):
        return [item async for item in value]
    return list(value)


def make_client(style: str, api: MockAPI, **options: Any) -> AnyClient:
    options.setdefault("bearer_token", TOKEN)
    options.setdefault("base_url", API + "/v1")
    options.setdefault("poll_interval", 0.001)
    if style == "sync":
        return Replicate(transport=api.transport(), **options)
    return AsyncReplicate(transport=api.transport(), **options)


@pytest.fixture
def api() -> MockAPI:
    return MockAPI()


@pytest.fixture(params=["sync", "async"])
def style(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def client(style: str, api: MockAPI) -> AsyncIterator[AnyClient]:
    """A Replicate or an AsyncReplicate whose requests go to `api`."""
    made = make_client(style, api)
    yield made
    if isinstance(made, AsyncReplicate):
        await made.close()
    else:
        made.close()


@pytest.fixture(params=["module", "sync", "async"])
async def target(
    request: pytest.FixtureRequest, api: MockAPI, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Any]:
    """What seed 004 calls `replicate`: the package (its default client a v0 Client configured
    from the environment), a Replicate, or an AsyncReplicate."""
    if request.param == "module":
        monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
        monkeypatch.setenv("REPLICATE_BASE_URL", API + "/v1")
        use_default_client(monkeypatch, Client(transport=api.transport(), poll_interval=0.001))
        yield replicate
    else:
        made = make_client(str(request.param), api)
        yield made
        if isinstance(made, AsyncReplicate):
            await made.close()


def prediction(**changes: Any) -> Dict[str, Any]:
    """A prediction answer, as the API sends it."""
    return {**PREDICTION, "id": "abc123", **changes}


SUCCEEDED = prediction(status="succeeded", output="hello Alice")


# === seed 002 =============================================================================

# --- Quick Start, Client Initialization ---------------------------------------------------


async def test_quick_start_runs_a_model_with_the_token_from_the_environment(
    style: str, api: MockAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    urls = ["https://replicate.delivery/xezq/abc/out-0.webp"]
    api.on("POST", "/v1/models/black-forest-labs/flux-schnell/predictions", 201, prediction(status="succeeded", output=urls))
    client = replicate.Replicate(transport=api.transport()) if style == "sync" else AsyncReplicate(transport=api.transport())

    output = await resolve(client.run("black-forest-labs/flux-schnell", input={"prompt": "astronaut on a horse"}))

    request = api.one("POST", "/v1/models/black-forest-labs/flux-schnell/predictions")
    check(request, json_body={"input": {"prompt": "astronaut on a horse"}}, headers={"prefer": "wait"})
    assert [type(item) for item in output] == [FileOutput]
    assert [str(item) for item in output] == urls


@pytest.mark.parametrize(
    "make",
    [
        lambda cls: cls(),
        lambda cls: cls(bearer_token=TOKEN),
        lambda cls: cls(api_token=TOKEN),
        lambda cls: cls(bearer_token=TOKEN, base_url="https://api.replicate.com/v1", timeout=120.0, max_retries=5),
    ],
    ids=["environment", "bearer_token", "api_token", "custom"],
)
async def test_client_initialization(
    make: Callable[[Any], Any], style: str, api: MockAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    api.on("GET", "/v1/predictions/abc123", json_body=SUCCEEDED)
    cls = Replicate if style == "sync" else AsyncReplicate
    client = make(lambda **options: cls(transport=api.transport(), **options))

    fetched = await resolve(client.predictions.get(prediction_id="abc123"))

    check(api.one("GET", "/v1/predictions/abc123"))
    assert fetched.output == "hello Alice"
    assert client.base_url == API


def test_custom_configuration_sets_timeout_and_retries() -> None:
    client = Replicate(bearer_token=TOKEN, base_url="https://api.replicate.com/v1", timeout=120.0, max_retries=5)
    assert client._client.timeout == httpx.Timeout(120.0)
    transport = client._client._transport
    assert isinstance(transport, RetryTransport) and transport._max_attempts == 6


async def test_asynchronous_client_example(api: MockAPI) -> None:
    api.on("POST", "/v1/models/stability-ai/stable-diffusion/predictions", 201, prediction(status="succeeded", output="a.png"))
    client = AsyncReplicate(bearer_token=TOKEN, transport=api.transport())
    output = await client.run("stability-ai/stable-diffusion", input={"prompt": "a watercolor painting"})
    check(
        api.one("POST", "/v1/models/stability-ai/stable-diffusion/predictions"),
        json_body={"input": {"prompt": "a watercolor painting"}},
        headers={"prefer": "wait"},
    )
    assert output == "a.png"
    await client.close()


# --- run() ---------------------------------------------------------------------------------

SDXL_VERSION = {
    **VERSION,
    "id": SDXL,
    "openapi_schema": {
        "components": {"schemas": {"Output": {"type": "array", "items": {"type": "string", "format": "uri"}}}}
    },
}


async def test_run_a_version_reads_its_output_schema(client: AnyClient, api: MockAPI) -> None:
    image = "https://replicate.delivery/pbxt/out-0.png"
    api.on("POST", "/v1/predictions", 201, prediction(status="succeeded", version=SDXL, output=[image]))
    api.on("GET", f"/v1/models/stability-ai/sdxl/versions/{SDXL}", json_body=SDXL_VERSION)

    output = await resolve(
        client.run(
            f"stability-ai/sdxl:{SDXL}",
            input={"prompt": "a 19th century portrait of a wombat gentleman"},
        )
    )

    assert api.calls == [
        f"POST {API}/v1/predictions",
        f"GET {API}/v1/models/stability-ai/sdxl/versions/{SDXL}",
    ]
    check(
        api.requests[0],
        json_body={"version": SDXL, "input": {"prompt": "a 19th century portrait of a wombat gentleman"}},
        headers={"prefer": "wait"},
    )
    # Cog before 0.4 marks list outputs as iterators: an iterator (async on AsyncReplicate).
    items = await collect(output)
    assert [str(item) for item in items] == [image]
    assert all(isinstance(item, FileOutput) for item in items)


async def test_run_with_options(client: AnyClient, api: MockAPI) -> None:
    api.on("POST", "/v1/models/meta/llama-2-70b-chat/predictions", 201, prediction(status="succeeded", output="A poem"))
    output = await resolve(
        client.run(
            "meta/llama-2-70b-chat",
            input={"prompt": "Write a poem about machine learning", "max_new_tokens": 500, "temperature": 0.7},
            wait=30,
            use_file_output=True,
            file_encoding_strategy="base64",
        )
    )
    request = api.one("POST", "/v1/models/meta/llama-2-70b-chat/predictions")
    check(
        request,
        json_body={"input": {"prompt": "Write a poem about machine learning", "max_new_tokens": 500, "temperature": 0.7}},
        headers={"prefer": "wait=30"},
    )
    # The server may hold the request 30 s, so the read timeout covers it.
    assert request.extensions["timeout"]["read"] >= 30
    assert output == "A poem"


@pytest.mark.parametrize(
    ("ref", "calls", "body"),
    [
        (
            f"owner/name:{VERSION_ID}",
            [f"POST {API}/v1/predictions", f"GET {API}/v1/models/owner/name/versions/{VERSION_ID}"],
            {"version": VERSION_ID, "input": {}},
        ),
        ("owner/name", [f"POST {API}/v1/models/owner/name/predictions"], {"input": {}}),
        (VERSION_ID, [f"POST {API}/v1/predictions"], {"version": VERSION_ID, "input": {}}),
    ],
    ids=["owner/name:version", "owner/name", "version id"],
)
async def test_run_model_reference_formats(
    client: AnyClient, api: MockAPI, ref: str, calls: List[str], body: Dict[str, Any]
) -> None:
    api.on("POST", "/v1/predictions", 201, SUCCEEDED)
    api.on("POST", "/v1/models/owner/name/predictions", 201, SUCCEEDED)
    api.on("GET", f"/v1/models/owner/name/versions/{VERSION_ID}", json_body=VERSION)
    assert await resolve(client.run(ref, input={})) == "hello Alice"
    assert api.calls == calls
    check(api.requests[0], json_body=body)


def test_run_rejects_what_is_not_a_model_reference() -> None:
    # The seeds' placeholders "model:version" and "model1" name no owner.
    client = Replicate(bearer_token=TOKEN, transport=MockAPI().transport())
    for ref in ("model:version", "model1"):
        with pytest.raises(ValueError, match="Invalid reference to model version"):
            client.run(ref, input={})


# --- stream() ---------------------------------------------------------------------------------


def sse_body(*tokens: str) -> bytes:
    events = [f"event: output\nid: {index}\ndata: {token}\n\n" for index, token in enumerate(tokens)]
    return ("".join(events) + "event: done\nid: done\ndata: {}\n\n").encode()


def script_stream(api: MockAPI, model: str, *tokens: str) -> None:
    urls = {**PREDICTION["urls"], "stream": STREAM_URL}
    api.on("POST", f"/v1/models/{model}/predictions", 201, prediction(status="starting", urls=urls))
    api.on("GET", STREAM_URL, content=sse_body(*tokens), headers={"content-type": "text/event-stream"})


async def test_stream_text_output(client: AnyClient, api: MockAPI) -> None:
    script_stream(api, "meta/llama-2-70b-chat", "Once", " upon", " a time")
    printed = [
        str(event)
        for event in await collect(
            client.stream(
                "meta/llama-2-70b-chat",
                input={"prompt": "Tell me a story about a robot", "max_new_tokens": 1000},
            )
        )
    ]
    assert "".join(printed) == "Once upon a time"
    check(
        api.one("POST", "/v1/models/meta/llama-2-70b-chat/predictions"),
        json_body={"input": {"prompt": "Tell me a story about a robot", "max_new_tokens": 1000}, "stream": True},
        absent=("prefer",),
    )
    # The stream is on another origin: it gets no token.
    check(api.one("GET", STREAM_URL), authorized=False, headers={"accept": "text/event-stream"})


# --- use() ------------------------------------------------------------------------------------

STRING_OUTPUT_VERSION = {
    **VERSION,
    "openapi_schema": {
        "components": {
            "schemas": {
                "Input": {"type": "object", "properties": {"prompt": {"type": "string"}}},
                "Output": {"type": "string", "format": "uri"},
            }
        }
    },
}

TOKENS_VERSION = {
    **VERSION,
    "openapi_schema": {
        "components": {
            "schemas": {
                "Output": {
                    "type": "array",
                    "items": {"type": "string"},
                    "x-cog-array-type": "iterator",
                    "x-cog-array-display": "concatenate",
                }
            }
        }
    },
}


async def test_use_creates_a_reusable_model_function(style: str, api: MockAPI) -> None:
    # use() gives a plain function on Replicate, an async one on AsyncReplicate.
    client = make_client(style, api)
    api.on("GET", "/v1/models/stability-ai/stable-diffusion", json_body={**MODEL, "owner": "stability-ai", "name": "stable-diffusion", "latest_version": STRING_OUTPUT_VERSION})
    # It has versions (use() checks, as v0 1.1 does), so its latest version runs.
    api.on("GET", "/v1/models/stability-ai/stable-diffusion/versions", json_body={"results": [STRING_OUTPUT_VERSION], "next": None})
    api.on("POST", "/v1/predictions", 201, prediction(status="succeeded", output="data:text/plain;base64,aGk="))
    stable_diffusion = client.use("stability-ai/stable-diffusion")
    image1 = await resolve(stable_diffusion(prompt="a cat in a hat"))
    image2 = await resolve(stable_diffusion(prompt="a dog in sunglasses"))
    assert pathlib.Path(image1).read_bytes() == b"hi" and pathlib.Path(image2).read_bytes() == b"hi"
    assert api.calls == [
        f"GET {API}/v1/models/stability-ai/stable-diffusion",
        f"GET {API}/v1/models/stability-ai/stable-diffusion/versions",
        f"POST {API}/v1/predictions",
        f"POST {API}/v1/predictions",
    ]
    assert [json.loads(r.content) for r in api.sent("POST", "/v1/predictions")] == [
        {"version": VERSION_ID, "input": {"prompt": "a cat in a hat"}},
        {"version": VERSION_ID, "input": {"prompt": "a dog in sunglasses"}},
    ]


async def test_use_with_a_streaming_model(style: str, api: MockAPI) -> None:
    client = make_client(style, api)
    api.on("GET", "/v1/models/meta/llama-2-70b-chat", json_body={**MODEL, "owner": "meta", "name": "llama-2-70b-chat", "is_official": True, "latest_version": TOKENS_VERSION})
    script_stream(api, "meta/llama-2-70b-chat", "Quantum", " computing")
    llama = client.use("meta/llama-2-70b-chat", streaming=True)
    chunks = await collect(await resolve(llama(prompt="Explain quantum computing")))
    assert "".join(chunks) == "Quantum computing"
    check(
        api.one("POST", "/v1/models/meta/llama-2-70b-chat/predictions"),
        json_body={"input": {"prompt": "Explain quantum computing"}},
    )


# --- search() ---------------------------------------------------------------------------------

SEARCH = {
    "query": "image generation",
    "models": [
        {"model": MODEL, "metadata": {"generated_description": "Says hello", "score": 0.9, "tags": ["text"]}},
    ],
    "collections": [
        {"name": "Text to image", "slug": "text-to-image", "description": "Make images", "models": ["a/b"]},
    ],
    "pages": [{"name": "Image generation guide", "href": "https://replicate.com/docs/guides/image"}],
}


async def test_search_models(client: AnyClient, api: MockAPI) -> None:
    api.on("GET", "/v1/search", json_body=SEARCH)
    results = await resolve(client.search(query="image generation", limit=10))
    printed = [f"{model.owner}/{model.name}: {model.description}" for model in results]
    assert printed == ["replicate/hello-world: A tiny model that says hello"]
    check(api.one("GET", "/v1/search"), query={"query": "image generation", "limit": "10"})
    assert results.collections[0].slug == "text-to-image"
    assert results.pages[0].href.endswith("/image")


# --- Predictions ------------------------------------------------------------------------------


async def test_predictions_create_get_cancel(client: AnyClient, api: MockAPI) -> None:
    api.on("POST", "/v1/predictions", 201, prediction(status="starting"))
    api.on("GET", "/v1/predictions/abc123", json_body=SUCCEEDED)
    api.on("POST", "/v1/predictions/abc123/cancel", json_body=prediction(status="canceled"))

    created: Prediction = await resolve(
        client.predictions.create(
            model="owner/model:version",
            input={"prompt": "hello world"},
            webhook="https://example.com/webhook",
            webhook_events_filter=["start", "completed"],
        )
    )
    fetched = await resolve(client.predictions.get(prediction_id="abc123"))
    cancelled = await resolve(client.predictions.cancel(prediction_id="abc123"))

    check(
        api.one("POST", "/v1/predictions"),
        json_body={
            "version": "version",
            "input": {"prompt": "hello world"},
            "webhook": "https://example.com/webhook",
            "webhook_events_filter": ["start", "completed"],
        },
        absent=("prefer",),
    )
    check(api.one("GET", "/v1/predictions/abc123"))
    check(api.one("POST", "/v1/predictions/abc123/cancel"))
    assert api.one("POST", "/v1/predictions/abc123/cancel").content == b""
    assert isinstance(created, Prediction) and created.status == "starting"
    assert (fetched.status, fetched.output) == ("succeeded", "hello Alice")
    assert cancelled.status == "canceled"


def two_pages(path: str, first: List[Any], second: List[Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    cursor = f"{API}{path}?cursor=c2"
    return page(first, next=cursor), page(second, previous=f"{API}{path}?cursor=c1")


async def test_predictions_list_iterates_every_page(client: AnyClient, api: MockAPI) -> None:
    first, second = two_pages("/v1/predictions", [prediction(id="p1")], [prediction(id="p2"), prediction(id="p3")])
    api.on("GET", "/v1/predictions", json_body=first)
    api.on("GET", f"{API}/v1/predictions?cursor=c2", json_body=second)
    listed = [f"{p.id}: {p.status}" for p in await collect(client.predictions.list())]
    assert listed == ["p1: starting", "p2: starting", "p3: starting"]
    assert api.calls == [f"GET {API}/v1/predictions", f"GET {API}/v1/predictions?cursor=c2"]
    for request in api.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"


async def test_predictions_list_filters(client: AnyClient, api: MockAPI) -> None:
    api.on("GET", "/v1/predictions", json_body=page([prediction()]))
    listed = await resolve(client.predictions.list(created_after="2025-01-01T00:00:00Z", created_before="2025-02-01T00:00:00Z"))
    check(
        api.one("GET", "/v1/predictions"),
        query={"created_after": "2025-01-01T00:00:00Z", "created_before": "2025-02-01T00:00:00Z"},
    )
    assert [p.id for p in listed.results] == ["abc123"]


async def test_predictions_wait_polls_until_done(client: AnyClient, api: MockAPI) -> None:
    api.on("GET", "/v1/predictions/abc123", json_body=prediction(status="processing"))
    api.on("GET", "/v1/predictions/abc123", json_body=SUCCEEDED)
    completed = await resolve(client.predictions.wait(prediction_id="abc123", timeout=60))
    assert (completed.status, completed.output) == ("succeeded", "hello Alice")
    assert api.calls == [f"GET {API}/v1/predictions/abc123"] * 2


async def test_predictions_wait_times_out(client: AnyClient, api: MockAPI) -> None:
    api.on("GET", "/v1/predictions/abc123", json_body=prediction(status="processing"))
    with pytest.raises(TimeoutError):
        await resolve(client.predictions.wait(prediction_id="abc123", timeout=0.01))


async def test_cancel_after_on_create_and_run(client: AnyClient, api: MockAPI) -> None:
    api.on("POST", "/v1/predictions", 201, SUCCEEDED)
    await resolve(client.predictions.create(version=VERSION_ID, input={}, cancel_after="5m"))
    await resolve(client.run(VERSION_ID, input={}, cancel_after=90))
    first, second = api.sent("POST", "/v1/predictions")
    check(first, json_body={"version": VERSION_ID, "input": {}}, headers={"cancel-after": "5m"})
    check(second, json_body={"version": VERSION_ID, "input": {}}, headers={"cancel-after": "90s", "prefer": "wait"})


# --- Models -----------------------------------------------------------------------------------

SD_MODEL = {**MODEL, "owner": "stability-ai", "name": "stable-diffusion", "description": "Text to image"}


async def test_models_get(client: AnyClient, api: MockAPI) -> None:
    api.on("GET", "/v1/models/stability-ai/stable-diffusion", json_body=SD_MODEL)
    model = await resolve(client.models.get(model_owner="stability-ai", model_name="stable-diffusion"))
    check(api.one("GET", "/v1/models/stability-ai/stable-diffusion"))
    assert f"{model.owner}/{model.name}" == "stability-ai/stable-diffusion"
    assert model.description == "Text to image"
    assert model.latest_version.id == VERSION_ID


async def test_models_list_iterates_every_page(client: AnyClient, api: MockAPI) -> None:
    first, second = two_pages("/v1/models", [MODEL], [SD_MODEL])
    api.on("GET", "/v1/models", json_body=first)
    api.on("GET", f"{API}/v1/models?cursor=c2", json_body=second)
    names = [f"{model.owner}/{model.name}" for model in await collect(client.models.list())]
    assert names == ["replicate/hello-world", "stability-ai/stable-diffusion"]
    assert api.calls == [f"GET {API}/v1/models", f"GET {API}/v1/models?cursor=c2"]


async def test_models_search(client: AnyClient, api: MockAPI) -> None:
    api.on("QUERY", "/v1/models", json_body=page([MODEL]))
    found = [f"{m.owner}/{m.name}: {m.description}" for m in await collect(client.models.search(query="text generation"))]
    assert found == ["replicate/hello-world: A tiny model that says hello"]
    request = api.one("QUERY", "/v1/models")
    check(request, headers={"content-type": "text/plain"})
    assert request.content == b"text generation"


async def test_models_create_and_delete(client: AnyClient, api: MockAPI) -> None:
    created = {**MODEL, "owner": "your-username", "name": "my-model", "latest_version": None, "default_example": None}
    api.on("POST", "/v1/models", 201, created)
    api.on("DELETE", "/v1/models/your-username/my-model", 204)
    model = await resolve(
        client.models.create(
            owner="your-username",
            name="my-model",
            visibility="public",
            hardware="gpu-t4",
            description="My custom model",
            github_url="https://github.com/user/repo",
        )
    )
    deleted = await resolve(client.models.delete(model_owner="your-username", model_name="my-model"))
    check(
        api.one("POST", "/v1/models"),
        json_body={
            "owner": "your-username",
            "name": "my-model",
            "visibility": "public",
            "hardware": "gpu-t4",
            "description": "My custom model",
            "github_url": "https://github.com/user/repo",
        },
    )
    check(api.one("DELETE", "/v1/models/your-username/my-model"))
    assert model.id == "your-username/my-model" and deleted is True


async def test_models_update_patches(client: AnyClient, api: MockAPI) -> None:
    api.on("PATCH", "/v1/models/your-username/my-model", json_body={**MODEL, "description": "Better"})
    model = await resolve(client.models.update(model_owner="your-username", model_name="my-model", description="Better"))
    check(api.one("PATCH", "/v1/models/your-username/my-model"), json_body={"description": "Better"})
    assert model.description == "Better"


async def test_model_versions(client: AnyClient, api: MockAPI) -> None:
    db21 = "db21e45d3f7023abc2a46ee38a23973f6dce16bb082a930b0c49861f96d1e5bf"
    versions = "/v1/models/stability-ai/stable-diffusion/versions"
    api.on("GET", versions, json_body=page([{**VERSION, "id": db21}, VERSION]))
    api.on("GET", f"{versions}/{db21}", json_body={**VERSION, "id": db21})
    api.on("DELETE", "/v1/models/your-username/my-model/versions/version-id", 202)

    listed = [
        f"Version {v.id}: created at {v.created_at}"
        for v in await collect(client.models.versions.list(model_owner="stability-ai", model_name="stable-diffusion"))
    ]
    version = await resolve(
        client.models.versions.get(model_owner="stability-ai", model_name="stable-diffusion", version_id=db21)
    )
    await resolve(client.models.versions.delete(model_owner="your-username", model_name="my-model", version_id="version-id"))

    assert listed == [
        f"Version {db21}: created at 2022-04-26 19:29:04.418669+00:00",
        f"Version {VERSION_ID}: created at 2022-04-26 19:29:04.418669+00:00",
    ]
    assert version.id == db21
    check(api.one("GET", versions))
    check(api.one("GET", f"{versions}/{db21}"))
    check(api.one("DELETE", "/v1/models/your-username/my-model/versions/version-id"))


async def test_model_predictions_create(client: AnyClient, api: MockAPI) -> None:
    api.on("POST", "/v1/models/stability-ai/stable-diffusion/predictions", 201, prediction())
    created = await resolve(
        client.models.predictions.create(
            model_owner="stability-ai", model_name="stable-diffusion", input={"prompt": "a beautiful landscape"}
        )
    )
    check(
        api.one("POST", "/v1/models/stability-ai/stable-diffusion/predictions"),
        json_body={"input": {"prompt": "a beautiful landscape"}},
        absent=("prefer",),
    )
    assert created.id == "abc123"


async def test_model_examples(client: AnyClient, api: MockAPI) -> None:
    example = prediction(status="succeeded", input={"prompt": "a fox"}, output=["https://example.com/fox.png"])
    api.on("GET", "/v1/models/stability-ai/stable-diffusion/examples", json_body=page([example]))
    examples = await collect(client.models.examples.list(model_owner="stability-ai", model_name="stable-diffusion"))
    assert [(e.input, e.output) for e in examples] == [({"prompt": "a fox"}, ["https://example.com/fox.png"])]
    check(api.one("GET", "/v1/models/stability-ai/stable-diffusion/examples"))


# --- Deployments ------------------------------------------------------------------------------

MY_DEPLOYMENT = {**DEPLOYMENT, "owner": "your-username", "name": "my-deployment"}
DEPLOYMENT_PATH = "/v1/deployments/your-username/my-deployment"


async def test_deployments(client: AnyClient, api: MockAPI) -> None:
    api.on("POST", "/v1/deployments", json_body=MY_DEPLOYMENT)
    api.on("GET", "/v1/deployments", json_body=page([MY_DEPLOYMENT, DEPLOYMENT]))
    api.on("GET", DEPLOYMENT_PATH, json_body=MY_DEPLOYMENT)
    api.on("PATCH", DEPLOYMENT_PATH, json_body=MY_DEPLOYMENT)
    api.on("DELETE", DEPLOYMENT_PATH, 204)
    api.on("POST", f"{DEPLOYMENT_PATH}/predictions", 201, prediction())

    # As in the seed, without `version`, which the API requires (a real call answers 422).
    created = await resolve(
        client.deployments.create(  # type: ignore[call-arg]
            name="my-deployment", model="owner/model:version", hardware="gpu-a100-large", min_instances=1, max_instances=10
        )
    )
    listed = [f"{d.owner}/{d.name}" for d in await collect(client.deployments.list())]
    fetched = await resolve(client.deployments.get(deployment_owner="your-username", deployment_name="my-deployment"))
    updated = await resolve(
        client.deployments.update(
            deployment_owner="your-username", deployment_name="my-deployment", min_instances=2, max_instances=20
        )
    )
    deleted = await resolve(client.deployments.delete(deployment_owner="your-username", deployment_name="my-deployment"))
    made = await resolve(
        client.deployments.predictions.create(
            deployment_owner="your-username", deployment_name="my-deployment", input={"prompt": "hello world"}
        )
    )

    check(
        api.one("POST", "/v1/deployments"),
        json_body={
            "name": "my-deployment",
            "model": "owner/model:version",
            "hardware": "gpu-a100-large",
            "min_instances": 1,
            "max_instances": 10,
        },
    )
    check(api.one("GET", DEPLOYMENT_PATH))
    check(api.one("PATCH", DEPLOYMENT_PATH), json_body={"min_instances": 2, "max_instances": 20})
    check(api.one("DELETE", DEPLOYMENT_PATH))
    check(api.one("POST", f"{DEPLOYMENT_PATH}/predictions"), json_body={"input": {"prompt": "hello world"}})
    assert created.id == fetched.id == updated.id == "your-username/my-deployment"
    assert listed == ["your-username/my-deployment", "acme/image-upscaler"]
    assert deleted is True and made.id == "abc123"


# --- Trainings --------------------------------------------------------------------------------


async def test_trainings(client: AnyClient, api: MockAPI) -> None:
    trainings_path = "/v1/models/your-username/my-model/versions/base-version-id/trainings"
    api.on("POST", trainings_path, 201, TRAINING)
    api.on("GET", "/v1/trainings/training-abc123", json_body=TRAINING)
    api.on("GET", "/v1/trainings", json_body=page([TRAINING]))
    api.on("POST", "/v1/trainings/training-abc123/cancel", json_body={**TRAINING, "status": "canceled"})
    train_input = {"train_data": "https://example.com/training-data.zip", "epochs": 100, "batch_size": 32}

    training = await resolve(
        client.trainings.create(
            model_owner="your-username",
            model_name="my-model",
            version_id="base-version-id",
            input=train_input,
            webhook="https://example.com/training-webhook",
            destination="your-username/my-model",
        )
    )
    fetched = await resolve(client.trainings.get(training_id="training-abc123"))
    listed = [f"{t.id}: {t.status}" for t in await collect(client.trainings.list())]
    cancelled = await resolve(client.trainings.cancel(training_id="training-abc123"))

    check(
        api.one("POST", trainings_path),
        json_body={
            "input": train_input,
            "destination": "your-username/my-model",
            "webhook": "https://example.com/training-webhook",
        },
    )
    check(api.one("POST", "/v1/trainings/training-abc123/cancel"))
    assert training.id == fetched.id == TRAINING["id"]
    assert f"Status: {fetched.status}" == "Status: starting"
    assert listed == [f"{TRAINING['id']}: starting"]
    assert cancelled.status == "canceled"


def test_training_without_destination_is_refused() -> None:
    # The seed's example omits `destination`, which the API requires.
    client = Replicate(bearer_token=TOKEN, transport=MockAPI().transport())
    with pytest.raises(ValueError, match="destination"):
        client.trainings.create(  # type: ignore[call-arg]
            model_owner="your-username", model_name="my-model", version_id="base-version-id", input={}
        )


# --- Collections, Files, Hardware, Account, Webhooks -----------------------------------------


async def test_collections(client: AnyClient, api: MockAPI) -> None:
    listed_collection = {key: value for key, value in COLLECTION.items() if key != "models"}
    api.on("GET", "/v1/collections", json_body=page([listed_collection]))
    api.on("GET", "/v1/collections/awesome-sdxl-models", json_body=COLLECTION)
    listed = [f"{c.name}: {c.description}" for c in await collect(client.collections.list())]
    collection = await resolve(client.collections.get(collection_slug="awesome-sdxl-models"))
    assert listed == [f"{COLLECTION['name']}: {COLLECTION['description']}"]
    assert [f"- {m.owner}/{m.name}" for m in collection.models] == ["- replicate/hello-world", "- replicate/hello-world-2"]
    check(api.one("GET", "/v1/collections/awesome-sdxl-models"))


async def test_files(client: AnyClient, api: MockAPI, tmp_path: pathlib.Path) -> None:
    api.on("POST", "/v1/files", 201, {**FILE, "name": "image.jpg", "content_type": "image/jpeg"})
    api.on("GET", "/v1/files", json_body=page([FILE]))
    api.on("GET", "/v1/files/file-abc123", json_body=FILE)
    api.on("DELETE", "/v1/files/file-abc123", 204)
    (tmp_path / "image.jpg").write_bytes(b"\xff\xd8jpeg")

    with open(tmp_path / "image.jpg", "rb") as f:
        file_response = await resolve(client.files.create(file=f))
        file_url = file_response.urls["get"]
    listed = [f"{file.id}: {file.name}" for file in await collect(client.files.list())]
    file = await resolve(client.files.get(file_id="file-abc123"))
    deleted = await resolve(client.files.delete(file_id="file-abc123"))

    upload = api.one("POST", "/v1/files")
    check(upload)
    assert upload.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert b'name="content"; filename="image.jpg"' in upload.content
    assert b"Content-Type: image/jpeg" in upload.content and b"\xff\xd8jpeg" in upload.content
    assert file_url == FILE["urls"]["get"]
    assert listed == [f"{FILE['id']}: hello.txt"]
    assert file.urls["get"] == FILE["urls"]["get"]
    assert deleted is True


async def test_hardware(client: AnyClient, api: MockAPI) -> None:
    api.on("GET", "/v1/hardware", json_body=HARDWARE)
    hardware_list = await resolve(client.hardware.list())
    assert [(sku.sku, sku.name) for sku in hardware_list] == [("cpu", "CPU"), ("gpu-t4", "Nvidia T4 GPU")]
    check(api.one("GET", "/v1/hardware"))
    # The seed prints `sku.specs`, a field the API does not send.
    with pytest.raises(AttributeError):
        hardware_list[0].specs  # noqa: B018


async def test_hardware_fields_the_api_adds_are_kept(client: AnyClient, api: MockAPI) -> None:
    api.on("GET", "/v1/hardware", json_body=[{"sku": "gpu-t4", "name": "T4", "specs": {"gpu": "T4"}}])
    assert [f"{sku.name}: {sku.specs}" for sku in await resolve(client.hardware.list())] == ["T4: {'gpu': 'T4'}"]


async def test_account(client: AnyClient, api: MockAPI) -> None:
    api.on("GET", "/v1/account", json_body={**ACCOUNT, "email": "ops@replicate.com"})
    account = await resolve(client.account.get())
    check(api.one("GET", "/v1/account"))
    # `email` is not in the API's schema; when the API sends it, it is kept.
    assert (f"Username: {account.username}", f"Email: {account.email}") == (
        "Username: replicate",
        "Email: ops@replicate.com",
    )


async def test_webhook_secret(client: AnyClient, api: MockAPI) -> None:
    api.on("GET", "/v1/webhooks/default/secret", json_body={"key": "whsec_c2VjcmV0"})
    webhook_secret = await resolve(client.webhooks.default.secret.get())
    v0_spelling = await resolve(client.webhooks.default.secret())
    assert webhook_secret.key == v0_spelling.key == "whsec_c2VjcmV0"
    assert len(api.sent("GET", "/v1/webhooks/default/secret")) == 2
    check(api.requests[0])


# --- File Handling ----------------------------------------------------------------------------

UPLOADED_URL = FILE["urls"]["get"]


@pytest.mark.parametrize("kind", ["file object", "path", "string path", "url", "data uri"])
async def test_input_files(client: AnyClient, api: MockAPI, tmp_path: pathlib.Path, kind: str) -> None:
    api.on("POST", "/v1/files", 201, FILE)
    api.on("POST", "/v1/predictions", 201, SUCCEEDED)
    image = tmp_path / "input.jpg"
    image.write_bytes(b"jpeg bytes")
    ref = f"acme/model:{VERSION_ID}"
    api.on("GET", f"/v1/models/acme/model/versions/{VERSION_ID}", json_body=VERSION)

    if kind == "file object":
        with open(image, "rb") as f:
            await resolve(client.run(ref, input={"image": f}))
        sent = UPLOADED_URL
    elif kind == "path":
        await resolve(client.run(ref, input={"image": image}))
        sent = UPLOADED_URL
    elif kind == "string path":
        # The seed says a string path is opened; as in v0, a string is sent as it is (it may
        # as well be text). A pathlib.Path is uploaded.
        sent = str(image)
        await resolve(client.run(ref, input={"image": sent}))
    elif kind == "url":
        sent = "https://example.com/image.jpg"
        await resolve(client.run(ref, input={"image": sent}))
    else:
        sent = "data:image/jpeg;base64,/9j/"
        await resolve(client.run(ref, input={"image": sent}))

    create = api.one("POST", "/v1/predictions")
    check(create, json_body={"version": VERSION_ID, "input": {"image": sent}})
    assert len(api.sent("POST", "/v1/files")) == (1 if sent == UPLOADED_URL else 0)


async def test_input_file_as_base64(client: AnyClient, api: MockAPI) -> None:
    api.on("POST", "/v1/predictions", 201, SUCCEEDED)
    file_obj = io.BytesIO(b"hello")
    await resolve(client.run(VERSION_ID, input={"image": file_obj}, file_encoding_strategy="base64"))
    body = json.loads(api.one("POST", "/v1/predictions").content)
    assert body["input"]["image"] == "data:application/octet-stream;base64," + base64.b64encode(b"hello").decode()
    assert api.sent("POST", "/v1/files") == []


async def test_output_files(client: AnyClient, api: MockAPI, tmp_path: pathlib.Path) -> None:
    url = "https://replicate.delivery/pbxt/out.jpg"
    api.on("POST", "/v1/models/acme/painter/predictions", 201, prediction(status="succeeded", output=url))
    api.on("GET", url, content=b"\xff\xd8image")
    output = await resolve(client.run("acme/painter", input={"prompt": "generate an image"}))
    assert isinstance(output, FileOutput)
    assert f"File URL: {output.url}" == f"File URL: {url}"
    if isinstance(client, Replicate):
        content = output.read()
        with open(tmp_path / "output.jpg", "wb") as f:
            for chunk in output:
                f.write(chunk)
    else:
        content = await output.aread()
        with open(tmp_path / "output.jpg", "wb") as f:
            async for chunk in output:
                f.write(chunk)
    assert content == (tmp_path / "output.jpg").read_bytes() == b"\xff\xd8image"
    # replicate.delivery is not the API: the token stays home.
    for request in api.sent("GET", url):
        check(request, authorized=False)


# --- Error Handling ---------------------------------------------------------------------------


async def run_and_classify(client: AnyClient) -> str:
    """The seed's error-handling example, returning what it would print."""
    try:
        await resolve(client.run(f"acme/model:{VERSION_ID}", input={"prompt": "test"}))
    except ModelError as e:
        return f"Model error: {e} / {e.prediction.id} / {e.prediction.status}"
    except RateLimitError as e:
        assert e.response is not None
        return f"Rate limit exceeded, retry after: {e.response.headers.get('retry-after')}"
    except AuthenticationError:
        return "Invalid API token"
    except NotFoundError:
        return "Model not found"
    except ReplicateError as e:
        return f"API error: {e}"
    return "no error"


@pytest.mark.parametrize("flavour", ["Client", "Replicate"])
@pytest.mark.parametrize(
    ("status", "body", "headers", "printed"),
    [
        (201, prediction(status="failed", error="boom"), {}, "Model error: boom / abc123 / failed"),
        (429, {"detail": "slow down", "status": 429}, {"retry-after": "7"}, "Rate limit exceeded, retry after: 7"),
        (401, {"detail": "Invalid token", "status": 401}, {}, "Invalid API token"),
        (404, {"detail": "Not found", "status": 404}, {}, "Model not found"),
        (409, {"title": "Conflict", "detail": "busy", "status": 409}, {}, "API error: "),
    ],
    ids=["model error", "rate limit", "authentication", "not found", "other"],
)
async def test_error_handling(
    style: str, api: MockAPI, flavour: str, status: int, body: Any, headers: Dict[str, str], printed: str
) -> None:
    api.on("POST", "/v1/predictions", status, body, headers=headers)
    api.on("GET", f"/v1/models/acme/model/versions/{VERSION_ID}", json_body=VERSION)
    if flavour == "Replicate":
        client: Any = make_client(style, api, max_retries=0)
        result = await run_and_classify(client)
    else:
        v0 = Client(api_token=TOKEN, transport=api.transport(), poll_interval=0.001)
        v0._retry_options["max_attempts"] = 1
        v0_async = style == "async"

        class V0:
            """Client, through its sync methods or its `async_` twins."""

            def run(self, *args: Any, **kwargs: Any) -> Any:
                return v0.async_run(*args, **kwargs) if v0_async else v0.run(*args, **kwargs)

        result = await run_and_classify(V0())  # type: ignore[arg-type]
    assert result.startswith(printed), result


async def test_max_retries_bounds_rate_limit_retries(style: str, api: MockAPI) -> None:
    api.on("GET", "/v1/predictions/abc123", 429, {"detail": "slow down"}, headers={"retry-after": "0"})
    client = make_client(style, api, max_retries=2)
    with pytest.raises(RateLimitError) as caught:
        await resolve(client.predictions.get(prediction_id="abc123"))
    assert len(api.requests) == 3
    assert caught.value.response is not None
    assert caught.value.response.headers["retry-after"] == "0"


# --- Pagination -------------------------------------------------------------------------------


async def test_manual_pagination(style: str, api: MockAPI) -> None:
    first, second = two_pages("/v1/models", [MODEL, MODEL], [SD_MODEL])
    api.on("GET", "/v1/models", json_body=first)
    api.on("GET", f"{API}/v1/models?cursor=c2", json_body=second)
    client = make_client(style, api)

    first_page = await resolve(client.models.list())
    assert f"Items in first page: {len(first_page.items)}" == "Items in first page: 2"
    assert first_page.has_next_page()
    next_page = await resolve(first_page.get_next_page())
    assert f"Items in second page: {len(next_page.items)}" == "Items in second page: 1"
    assert not next_page.has_next_page()
    all_models = await collect(client.models.list())
    assert [m.name for m in all_models] == ["hello-world", "hello-world", "stable-diffusion"]
    expected_class = SyncCursorURLPage if style == "sync" else AsyncCursorURLPage
    assert isinstance(first_page, expected_class) and isinstance(next_page, expected_class)


# --- Advanced: raw responses, HTTP clients, retries, copies ---------------------------------


async def test_raw_response(client: AnyClient, api: MockAPI) -> None:
    api.on("POST", "/v1/predictions", 201, prediction(), headers={"x-request-id": "req-1"})
    response = await resolve(client.predictions.with_raw_response.create(model="model:version", input={"prompt": "test"}))
    assert f"Status code: {response.status_code}" == "Status code: 201"
    assert response.headers["x-request-id"] == "req-1"
    parsed = response.parse()
    assert isinstance(parsed, Prediction) and parsed.id == "abc123"
    check(api.one("POST", "/v1/predictions"), json_body={"version": "version", "input": {"prompt": "test"}})


def test_custom_http_client_with_proxy_and_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    proxied = Replicate(http_client=DefaultHttpxClient(proxy="http://proxy.example.com:8080"))
    assert proxied._client is proxied._sync_client
    assert isinstance(proxied._client._transport, RetryTransport)
    slow = Replicate(http_client=DefaultHttpxClient(timeout=httpx.Timeout(60.0)))
    assert slow._client.timeout == httpx.Timeout(60.0)


async def test_custom_http_client_sends_the_requests(style: str, api: MockAPI) -> None:
    api.on("GET", "/v1/predictions/abc123", json_body=SUCCEEDED)
    if style == "sync":
        client: AnyClient = Replicate(bearer_token=TOKEN, http_client=DefaultHttpxClient(transport=api.transport()))
    else:
        client = AsyncReplicate(bearer_token=TOKEN, http_client=DefaultAsyncHttpxClient(transport=api.transport()))
    assert (await resolve(client.predictions.get(prediction_id="abc123"))).id == "abc123"
    check(api.one("GET", "/v1/predictions/abc123"))


async def test_per_request_wait_covers_the_timeout(client: AnyClient, api: MockAPI) -> None:
    api.on("POST", "/v1/predictions", 201, SUCCEEDED)
    await resolve(client.run(VERSION_ID, input={"prompt": "test"}, wait=60))
    request = api.one("POST", "/v1/predictions")
    assert request.headers["prefer"] == "wait=60"
    assert request.extensions["timeout"]["read"] >= 60


async def test_client_copying(style: str, api: MockAPI) -> None:
    api.on("GET", "/v1/account", json_body=ACCOUNT)
    client = make_client(style, api, bearer_token="r8_original")
    new_client = client.copy(bearer_token=TOKEN, timeout=60.0, max_retries=3)
    also = client.with_options(bearer_token=TOKEN)
    assert type(new_client) is type(client) and new_client is not client
    await resolve(new_client.account.get())
    await resolve(also.account.get())
    await resolve(client.account.get())
    assert [r.headers["authorization"] for r in api.requests] == [f"Bearer {TOKEN}", f"Bearer {TOKEN}", "Bearer r8_original"]
    core = new_client if isinstance(new_client, Replicate) else new_client._client
    assert core._timeout == httpx.Timeout(60.0)
    assert core._retry_options == {"max_attempts": 4}


# --- Async/Await Support ----------------------------------------------------------------------


async def test_async_support_example(api: MockAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    api.on("POST", "/v1/models/stability-ai/stable-diffusion/predictions", 201, prediction(status="succeeded", output="city"))
    script_stream(api, "meta/llama-2-70b-chat", "Why", " did")
    first, second = two_pages("/v1/models", [MODEL], [SD_MODEL])
    api.on("GET", "/v1/models", json_body=first)
    api.on("GET", f"{API}/v1/models?cursor=c2", json_body=second)
    for n in (1, 2, 3):
        api.on("POST", f"/v1/models/acme/model{n}/predictions", 201, prediction(status="succeeded", output=f"out{n}"))
    client = AsyncReplicate(transport=api.transport())

    output = await client.run("stability-ai/stable-diffusion", input={"prompt": "a futuristic city"})
    events = [str(event) async for event in client.stream("meta/llama-2-70b-chat", input={"prompt": "Tell me a joke"})]
    names = [model.name async for model in client.models.list()]
    tasks = [client.run(f"acme/model{n}", input={"prompt": f"test{n}"}) for n in (1, 2, 3)]
    results = await asyncio.gather(*tasks)

    assert output == "city"
    assert "".join(events) == "Why did"
    assert names == ["hello-world", "stable-diffusion"]
    assert results == ["out1", "out2", "out3"]
    for n in (1, 2, 3):
        check(api.one("POST", f"/v1/models/acme/model{n}/predictions"), json_body={"input": {"prompt": f"test{n}"}})
    await client.close()


# --- Environment Variables, Type Hints --------------------------------------------------------


@pytest.mark.parametrize("base_url", ["https://proxy.example.com/v1", "https://proxy.example.com"])
async def test_environment_variables(style: str, base_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    monkeypatch.setenv("REPLICATE_BASE_URL", base_url)
    seen: List[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=ACCOUNT)

    transport = httpx.MockTransport(handler)
    client: AnyClient = Replicate(transport=transport) if style == "sync" else AsyncReplicate(transport=transport)
    await resolve(client.account.get())
    assert str(seen[0].url) == "https://proxy.example.com/v1/account"
    assert seen[0].headers["authorization"] == f"Bearer {TOKEN}"


def test_default_base_url_is_the_api() -> None:
    assert Replicate(bearer_token=TOKEN).base_url == API
    assert AsyncReplicate(bearer_token=TOKEN).base_url == API


def test_type_hints(api: MockAPI) -> None:
    api.on("GET", "/v1/predictions/abc123", json_body=SUCCEEDED)
    api.on("GET", "/v1/predictions", json_body=page([SUCCEEDED]))
    client: Replicate = Replicate(bearer_token=TOKEN, transport=api.transport())
    prediction_: Prediction = client.predictions.get(prediction_id="abc123")
    status: PredictionStatus = prediction_.status
    page_: SyncCursorURLPage[Prediction] = client.predictions.list()  # type: ignore[assignment]
    assert isinstance(prediction_, Prediction) and status == "succeeded"
    assert isinstance(page_, SyncCursorURLPage) and isinstance(page_, Page)


# --- Common Patterns --------------------------------------------------------------------------


def wait_for_prediction(client: Any, prediction_id: str, timeout: float = 300) -> Prediction:
    """Poll a prediction until it completes or times out (the seed's function, as written)."""
    start = time.time()
    while time.time() - start < timeout:
        prediction = client.predictions.get(prediction_id)
        if prediction.status in ["succeeded", "failed", "canceled"]:
            return prediction  # type: ignore[no-any-return]
        time.sleep(2)  # Poll every 2 seconds
    raise TimeoutError(f"Prediction {prediction_id} timed out")


async def async_wait_for_prediction(client: AsyncReplicate, prediction_id: str, timeout: float = 300) -> Prediction:
    """The same loop on AsyncReplicate."""
    start = time.time()
    while time.time() - start < timeout:
        prediction = await client.predictions.get(prediction_id)
        if prediction.status in ["succeeded", "failed", "canceled"]:
            return prediction  # type: ignore[no-any-return]
        await asyncio.sleep(2)
    raise TimeoutError(f"Prediction {prediction_id} timed out")


async def test_wait_for_completion_with_polling(style: str, api: MockAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    naps: List[float] = []

    async def no_async_nap(seconds: float) -> None:
        naps.append(seconds)

    # The loop sleeps 2 s between polls; the sleeps are recorded instead.
    monkeypatch.setattr(time, "sleep", naps.append)
    monkeypatch.setattr(asyncio, "sleep", no_async_nap)
    api.on("POST", "/v1/predictions", 201, prediction(status="starting"))
    api.on("GET", "/v1/predictions/abc123", json_body=prediction(status="processing"))
    api.on("GET", "/v1/predictions/abc123", json_body=SUCCEEDED)
    client = make_client(style, api)

    created = await resolve(client.predictions.create(model=f"acme/model:{VERSION_ID}", input={}))
    if isinstance(client, Replicate):
        result = wait_for_prediction(client, created.id)
    else:
        result = await async_wait_for_prediction(client, created.id)

    assert result.output == "hello Alice"
    assert naps == [2]
    assert api.calls == [f"POST {API}/v1/predictions"] + [f"GET {API}/v1/predictions/abc123"] * 2


async def test_batch_processing(api: MockAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)

    def answer(request: httpx.Request) -> httpx.Response:
        prompt = json.loads(request.content)["input"]["prompt"]
        return httpx.Response(201, json=prediction(status="succeeded", output=prompt.upper()))

    api.routes[("POST", API + "/v1/predictions")] = [answer]

    async def batch_process(prompts: List[str]) -> List[Any]:
        """Process multiple prompts in parallel (the seed's function, on a mocked transport)."""
        client = AsyncReplicate(transport=api.transport())
        tasks = [client.run(VERSION_ID, input={"prompt": prompt}) for prompt in prompts]
        return await asyncio.gather(*tasks)

    results = await batch_process(["prompt 1", "prompt 2", "prompt 3"])
    assert results == ["PROMPT 1", "PROMPT 2", "PROMPT 3"]
    assert len(api.sent("POST", "/v1/predictions")) == 3


def verify_webhook(payload: bytes, signature: str, secret: str) -> bool:
    """Verify webhook signature (the seed's helper, as written)."""
    expected = hmac.new(secret.encode(), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def test_webhook_handling(api: MockAPI) -> None:
    # Flask is not a dependency: the handler's logic runs on a plain body and headers.
    secret = "whsec_" + base64.b64encode(b"0123456789abcdef").decode()
    api.on("GET", "/v1/webhooks/default/secret", json_body={"key": secret})
    client = Replicate(bearer_token=TOKEN, transport=api.transport())
    fetched = client.webhooks.default.secret.get()
    payload = json.dumps(SUCCEEDED).encode()

    seed_signature = hmac.new(fetched.key.encode(), payload, hashlib.sha256).hexdigest()
    assert verify_webhook(payload, seed_signature, fetched.key)
    assert not verify_webhook(payload, "0" * 64, fetched.key)

    # What Replicate sends: Standard Webhooks headers, checked by webhooks.validate.
    webhook_id, timestamp = "msg_1", str(int(time.time()))
    signed = f"{webhook_id}.{timestamp}.".encode() + payload
    digest = base64.b64encode(hmac.new(b"0123456789abcdef", signed, hashlib.sha256).digest()).decode()
    headers = {"webhook-id": webhook_id, "webhook-timestamp": timestamp, "webhook-signature": f"v1,{digest}"}
    client.webhooks.validate(headers=headers, body=payload, secret=fetched)  # raises if invalid
    data = json.loads(payload)
    assert f"Prediction {data['id']} status: {data['status']}" == "Prediction abc123 status: succeeded"


# --- Migration Guide --------------------------------------------------------------------------


async def test_migration_guide_old_and_new(api: MockAPI, monkeypatch: pytest.MonkeyPatch, style: str) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    use_default_client(monkeypatch, Client(transport=api.transport()))
    api.on("POST", "/v1/predictions", 201, prediction(status="succeeded", output="cat.png"))
    api.on("GET", f"/v1/models/stability-ai/stable-diffusion/versions/{VERSION_ID}", json_body=VERSION)
    api.on("GET", "/v1/models/stability-ai/stable-diffusion", json_body=SD_MODEL)

    old_output = replicate.run(f"stability-ai/stable-diffusion:{VERSION_ID}", input={"prompt": "a cat"})
    old_model = replicate.models.get("stability-ai/stable-diffusion")
    old_calls = list(api.calls)
    api.requests.clear()

    client = make_client(style, api, bearer_token=None)
    new_output = await resolve(client.run(f"stability-ai/stable-diffusion:{VERSION_ID}", input={"prompt": "a cat"}))
    new_model = await resolve(client.models.get(model_owner="stability-ai", model_name="stable-diffusion"))

    assert old_output == new_output == "cat.png"
    assert old_model.id == new_model.id == "stability-ai/stable-diffusion"
    # Both styles send the same requests.
    assert api.calls == old_calls
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in api.requests)


def test_legacy_authentication() -> None:
    assert Replicate(api_token="your_token")._token() == "your_token"
    assert Replicate(bearer_token="your_token")._token() == "your_token"


# === seed 004: the API operations, on the module, Replicate and AsyncReplicate =============


async def test_004_initialize_with_explicit_token(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    client = replicate.Replicate(bearer_token=os.environ["REPLICATE_API_TOKEN"])
    assert isinstance(client, Replicate) and client._token() == TOKEN


async def test_004_use(target: Any, api: MockAPI) -> None:
    claude = {**MODEL, "owner": "anthropic", "name": "claude-sonnet-4", "is_official": True, "latest_version": TOKENS_VERSION}
    banana = {**MODEL, "owner": "google", "name": "nano-banana", "is_official": True, "latest_version": STRING_OUTPUT_VERSION}
    api.on("GET", "/v1/models/anthropic/claude-sonnet-4", json_body=claude)
    api.on("GET", "/v1/models/google/nano-banana", json_body=banana)
    api.on("POST", "/v1/models/anthropic/claude-sonnet-4/predictions", 201, prediction(status="succeeded", output=["Hello", "!"]))
    api.on("POST", "/v1/models/google/nano-banana/predictions", 201, prediction(status="succeeded", output="data:text/plain;base64,c2FuZHdpY2g="))

    output = await resolve(target.use("anthropic/claude-sonnet-4")(prompt="Hello, world!"))
    assert output == "Hello!"
    banana_output = await resolve(target.use("google/nano-banana")(prompt="Make me a sandwich"))
    assert pathlib.Path(banana_output).read_bytes() == b"sandwich"
    check(api.one("POST", "/v1/models/anthropic/claude-sonnet-4/predictions"), json_body={"input": {"prompt": "Hello, world!"}})
    check(api.one("POST", "/v1/models/google/nano-banana/predictions"), json_body={"input": {"prompt": "Make me a sandwich"}})


async def test_004_run(target: Any, api: MockAPI) -> None:
    api.on("POST", "/v1/models/anthropic/claude-sonnet-4/predictions", 201, prediction(status="succeeded", output="Hi!"))
    output = await resolve(target.run("anthropic/claude-sonnet-4", input={"prompt": "Hello, world!"}))
    assert output == "Hi!"
    check(
        api.one("POST", "/v1/models/anthropic/claude-sonnet-4/predictions"),
        json_body={"input": {"prompt": "Hello, world!"}},
        headers={"prefer": "wait"},
    )


async def test_004_search(target: Any, api: MockAPI) -> None:
    api.on("GET", "/v1/search", json_body={**SEARCH, "query": "nano banana"})
    response = await resolve(target.search(query="nano banana"))
    check(api.one("GET", "/v1/search"), query={"query": "nano banana"})
    assert [c.slug for c in response.collections] == ["text-to-image"]


async def test_004_predictions(target: Any, api: MockAPI) -> None:
    hello = "replicate/hello-world:9dcd6d78e7c6560c340d916fe32e9f24aabfa331e5cce95fe31f77fb03121426"
    api.on("POST", "/v1/predictions", 201, prediction())
    api.on("GET", "/v1/predictions/prediction_id", json_body=prediction(id="prediction_id"))
    api.on("GET", "/v1/predictions", json_body=page([prediction(id="p1")]))
    api.on("POST", "/v1/predictions/prediction_id/cancel", json_body=prediction(id="prediction_id", status="canceled"))

    created = await resolve(target.predictions.create(input={"text": "Alice"}, version=hello))
    fetched = await resolve(target.predictions.get(prediction_id="prediction_id"))
    listed = await resolve(target.predictions.list())
    first = listed.results[0]
    cancelled = await resolve(target.predictions.cancel(prediction_id="prediction_id"))

    check(api.one("POST", "/v1/predictions"), json_body={"input": {"text": "Alice"}, "version": hello})
    check(api.one("GET", "/v1/predictions"))
    check(api.one("POST", "/v1/predictions/prediction_id/cancel"))
    assert (created.id, fetched.id, first.id, cancelled.id) == ("abc123", "prediction_id", "p1", "prediction_id")


async def test_004_models(target: Any, api: MockAPI) -> None:
    hot_dog = {**MODEL, "owner": "alice", "name": "hot-dog-detector", "latest_version": None, "default_example": None}
    path = "/v1/models/model_owner/model_name"
    api.on("POST", "/v1/models", 201, hot_dog)
    api.on("GET", path, json_body=MODEL)
    api.on("GET", "/v1/models", json_body=page([MODEL]))
    api.on("DELETE", path, 204)
    api.on("GET", f"{path}/examples", json_body=page([prediction(status="succeeded")]))
    api.on("POST", f"{path}/predictions", 201, prediction())
    api.on("GET", f"{path}/readme", content=b"# hello-world\n", headers={"content-type": "text/plain"})
    api.on("GET", f"{path}/versions/version_id", json_body=VERSION)
    api.on("GET", f"{path}/versions", json_body=page([VERSION]))
    api.on("DELETE", f"{path}/versions/version_id", 202)

    model = await resolve(target.models.create(hardware="cpu", name="hot-dog-detector", owner="alice", visibility="public"))
    fetched = await resolve(target.models.get(model_owner="model_owner", model_name="model_name"))
    listed = (await resolve(target.models.list())).results[0]
    await resolve(target.models.delete(model_owner="model_owner", model_name="model_name"))
    example = (await resolve(target.models.examples.list(model_owner="model_owner", model_name="model_name"))).results[0]
    made = await resolve(
        target.models.predictions.create(
            model_owner="model_owner",
            model_name="model_name",
            input={"prompt": "Tell me a joke", "system_prompt": "You are a helpful assistant"},
        )
    )
    readme = await resolve(target.models.readme.get(model_owner="model_owner", model_name="model_name"))
    version = await resolve(target.models.versions.get(model_owner="model_owner", model_name="model_name", version_id="version_id"))
    listed_version = (await resolve(target.models.versions.list(model_owner="model_owner", model_name="model_name"))).results[0]
    await resolve(target.models.versions.delete(model_owner="model_owner", model_name="model_name", version_id="version_id"))

    check(api.one("POST", "/v1/models"), json_body={"owner": "alice", "name": "hot-dog-detector", "hardware": "cpu", "visibility": "public"})
    check(
        api.one("POST", f"{path}/predictions"),
        json_body={"input": {"prompt": "Tell me a joke", "system_prompt": "You are a helpful assistant"}},
    )
    for method, url in [("GET", path), ("DELETE", path), ("GET", f"{path}/readme"), ("DELETE", f"{path}/versions/version_id")]:
        check(api.one(method, url))
    assert model.cover_image_url == fetched.cover_image_url == listed.cover_image_url == MODEL["cover_image_url"]
    assert example.id == made.id == "abc123"
    assert readme == "# hello-world\n"
    assert version.id == listed_version.id == VERSION_ID


async def test_004_collections(target: Any, api: MockAPI) -> None:
    api.on("GET", "/v1/collections/collection_slug", json_body=COLLECTION)
    api.on("GET", "/v1/collections", json_body=page([COLLECTION]))
    collection = await resolve(target.collections.get(collection_slug="collection_slug"))
    listed = (await resolve(target.collections.list())).results[0]
    assert collection.description == listed.description == COLLECTION["description"]
    check(api.one("GET", "/v1/collections/collection_slug"))


async def test_004_deployments(target: Any, api: MockAPI) -> None:
    path = "/v1/deployments/deployment_owner/deployment_name"
    api.on("POST", "/v1/deployments", json_body=DEPLOYMENT)
    api.on("GET", path, json_body=DEPLOYMENT)
    api.on("GET", "/v1/deployments", json_body=page([DEPLOYMENT]))
    api.on("PATCH", path, json_body=DEPLOYMENT)
    api.on("DELETE", path, 204)
    api.on("POST", f"{path}/predictions", 201, prediction())

    created = await resolve(
        target.deployments.create(hardware="hardware", max_instances=0, min_instances=0, model="model", name="name", version="version")
    )
    fetched = await resolve(target.deployments.get(deployment_owner="deployment_owner", deployment_name="deployment_name"))
    listed = (await resolve(target.deployments.list())).results[0]
    updated = await resolve(target.deployments.update(deployment_owner="deployment_owner", deployment_name="deployment_name"))
    await resolve(target.deployments.delete(deployment_owner="deployment_owner", deployment_name="deployment_name"))
    made = await resolve(
        target.deployments.predictions.create(
            deployment_owner="deployment_owner",
            deployment_name="deployment_name",
            input={"prompt": "Tell me a joke", "system_prompt": "You are a helpful assistant"},
        )
    )

    check(
        api.one("POST", "/v1/deployments"),
        json_body={"hardware": "hardware", "max_instances": 0, "min_instances": 0, "model": "model", "name": "name", "version": "version"},
    )
    check(api.one("PATCH", path), json_body={})
    check(api.one("DELETE", path))
    check(
        api.one("POST", f"{path}/predictions"),
        json_body={"input": {"prompt": "Tell me a joke", "system_prompt": "You are a helpful assistant"}},
    )
    releases = {d.current_release.number for d in (created, fetched, listed, updated)}
    assert releases == {1} and made.id == "abc123"


async def test_004_files(target: Any, api: MockAPI) -> None:
    api.on("GET", "/v1/files", json_body=page([FILE]))
    api.on("POST", "/v1/files", 201, FILE)
    api.on("DELETE", "/v1/files/file_id", 204)
    api.on("GET", "/v1/files/file_id", json_body=FILE)
    api.on("GET", "/v1/files/file_id/download", content=b"raw file contents", headers={"content-type": "application/octet-stream"})

    listed = await resolve(target.files.list())
    if target is replicate:
        # v0 wins on the module: files.list() is a list of File, not a page.
        assert isinstance(listed, list)
        first = listed[0]
    else:
        first = listed.results[0]
    file = await resolve(target.files.create(content=b"raw file contents"))
    await resolve(target.files.delete(file_id="file_id"))
    fetched = await resolve(target.files.get(file_id="file_id"))
    response = await resolve(target.files.download(file_id="file_id", expiry=0, owner="owner", signature="signature"))
    content = response.read()

    upload = api.one("POST", "/v1/files")
    assert b'name="content"; filename="file"' in upload.content and b"raw file contents" in upload.content
    check(api.one("DELETE", "/v1/files/file_id"))
    check(api.one("GET", "/v1/files/file_id/download"), query={"owner": "owner", "expiry": "0", "signature": "signature"})
    assert first.id == file.id == fetched.id == FILE["id"]
    assert isinstance(file, File)
    assert content == b"raw file contents"


async def test_004_trainings(target: Any, api: MockAPI) -> None:
    api.on("POST", "/v1/models/model_owner/model_name/versions/version_id/trainings", 201, TRAINING)
    api.on("GET", "/v1/trainings/training_id", json_body=TRAINING)
    api.on("GET", "/v1/trainings", json_body=page([TRAINING]))
    api.on("POST", "/v1/trainings/training_id/cancel", json_body=TRAINING)

    training = await resolve(
        target.trainings.create(
            model_owner="model_owner", model_name="model_name", version_id="version_id", destination="destination", input={}
        )
    )
    fetched = await resolve(target.trainings.get(training_id="training_id"))
    listed = (await resolve(target.trainings.list())).results[0]
    response = await resolve(target.trainings.cancel(training_id="training_id"))

    check(
        api.one("POST", "/v1/models/model_owner/model_name/versions/version_id/trainings"),
        json_body={"input": {}, "destination": "destination"},
    )
    check(api.one("POST", "/v1/trainings/training_id/cancel"))
    assert training.id == fetched.id == listed.id == response.id == TRAINING["id"]


async def test_004_hardware_account_webhooks(target: Any, api: MockAPI) -> None:
    api.on("GET", "/v1/hardware", json_body=HARDWARE)
    api.on("GET", "/v1/account", json_body=ACCOUNT)
    api.on("GET", "/v1/webhooks/default/secret", json_body={"key": "whsec_c2VjcmV0"})

    hardware = await resolve(target.hardware.list())
    account = await resolve(target.account.get())
    secret = await resolve(target.webhooks.default.secret.get())

    assert [h.sku for h in hardware] == ["cpu", "gpu-t4"]
    assert account.type == "organization"
    assert secret.key == "whsec_c2VjcmV0"
    for url in ("/v1/hardware", "/v1/account", "/v1/webhooks/default/secret"):
        check(api.one("GET", url))


async def test_004_low_level_api(style: str, api: MockAPI) -> None:
    api.on("GET", "/v1/custom/endpoint", json_body={"got": True})
    api.on("POST", "/v1/custom/endpoint", json_body={"posted": True})
    api.on("PATCH", "/v1/custom/endpoint", json_body={"patched": True})
    client = make_client(style, api)

    response = await resolve(client.get("/custom/endpoint"))
    posted = await resolve(client.post("/custom/endpoint", json={"key": "value"}))
    patched = await resolve(
        client.request(method="PATCH", url="/custom/endpoint", json={"key": "value"}, headers={"X-Custom-Header": "value"})
    )

    assert isinstance(response, httpx.Response)
    assert (response.json(), posted.json(), patched.json()) == ({"got": True}, {"posted": True}, {"patched": True})
    check(api.one("GET", "/v1/custom/endpoint"))
    check(api.one("POST", "/v1/custom/endpoint"), json_body={"key": "value"})
    check(api.one("PATCH", "/v1/custom/endpoint"), json_body={"key": "value"}, headers={"x-custom-header": "value"})


async def test_low_level_errors_are_replicate_errors(style: str, api: MockAPI) -> None:
    api.on("GET", "/v1/missing", 404, {"detail": "Not found", "status": 404})
    client = make_client(style, api)
    with pytest.raises(NotFoundError):
        await resolve(client.get("/missing"))


# === where v0 and the newer style meet ======================================================


def test_v0_client_lists_one_page_and_replicate_every_page(api: MockAPI) -> None:
    first, second = two_pages("/v1/models", [MODEL], [SD_MODEL])
    api.on("GET", "/v1/models", json_body=first)
    api.on("GET", f"{API}/v1/models?cursor=c2", json_body=second)
    v0 = Client(api_token=TOKEN, transport=api.transport())

    v0_page = v0.models.list()
    assert isinstance(v0_page, Page) and not isinstance(v0_page, SyncCursorURLPage)
    assert [m.name for m in v0_page] == ["hello-world"]
    assert len(api.requests) == 1
    newer = Replicate(bearer_token=TOKEN, transport=api.transport())
    assert [m.name for m in newer.models.list()] == ["hello-world", "stable-diffusion"]
    assert len(api.requests) == 3
    # v0's way of walking every page still works on both.
    assert [p.results[0].name for p in replicate.paginate(v0.models.list)] == ["hello-world", "stable-diffusion"]


async def test_v0_async_twins_list_one_page(api: MockAPI) -> None:
    first, second = two_pages("/v1/models", [MODEL], [SD_MODEL])
    api.on("GET", "/v1/models", json_body=first)
    api.on("GET", f"{API}/v1/models?cursor=c2", json_body=second)
    v0 = Client(api_token=TOKEN, transport=api.transport())
    v0_page = await v0.models.async_list()
    assert [m.name for m in v0_page] == ["hello-world"]
    pages = [p async for p in replicate.async_paginate(v0.models.async_list)]
    assert [len(p) for p in pages] == [1, 1]


async def test_files_list_is_a_list_on_client_and_a_page_on_replicate(style: str, api: MockAPI) -> None:
    first, second = two_pages("/v1/files", [FILE], [{**FILE, "id": "second"}])
    api.on("GET", "/v1/files", json_body=first)
    api.on("GET", f"{API}/v1/files?cursor=c2", json_body=second)
    v0 = Client(api_token=TOKEN, transport=api.transport())
    v0_files = v0.files.list() if style == "sync" else await v0.files.async_list()
    assert isinstance(v0_files, list) and [f.id for f in v0_files] == [FILE["id"]]

    client = make_client(style, api)
    files_page: Any = await resolve(client.files.list())
    assert isinstance(files_page, (SyncCursorURLPage, AsyncCursorURLPage)) and files_page.has_next_page()
    assert [f.id for f in await collect(client.files.list())] == [FILE["id"], "second"]


async def test_with_raw_response_on_both_clients(style: str, api: MockAPI) -> None:
    api.on("GET", "/v1/models/replicate/hello-world", json_body=MODEL, headers={"x-request-id": "r1"})
    v0 = Client(api_token=TOKEN, transport=api.transport())
    client = make_client(style, api)
    if style == "sync":
        raw = v0.models.with_raw_response.get("replicate/hello-world")
    else:
        raw = await v0.models.with_raw_response.async_get("replicate/hello-world")
    newer = await resolve(client.models.with_raw_response.get(model_owner="replicate", model_name="hello-world"))
    responses: List[Any] = [raw, newer]
    for response in responses:
        assert response.status_code == 200
        assert response.headers["x-request-id"] == "r1"
        assert response.parse().id == "replicate/hello-world"
    assert len(api.sent("GET", "/v1/models/replicate/hello-world")) == 2


@pytest.mark.parametrize(
    ("status", "error_class"),
    [(401, AuthenticationError), (404, NotFoundError), (429, RateLimitError)],
)
async def test_exception_types_are_the_same_in_both_styles(
    style: str, api: MockAPI, status: int, error_class: type
) -> None:
    api.on("GET", "/v1/predictions/abc123", status, {"detail": "no", "status": status}, headers={"retry-after": "3"})
    v0 = Client(api_token=TOKEN, transport=api.transport())
    v0._retry_options["max_attempts"] = 1
    client = make_client(style, api, max_retries=0)
    with pytest.raises(error_class) as from_v0:
        v0.predictions.get("abc123") if style == "sync" else await v0.predictions.async_get("abc123")
    with pytest.raises(error_class) as from_newer:
        await resolve(client.predictions.get(prediction_id="abc123"))
    caught: Any
    for caught in (from_v0, from_newer):
        assert caught.value.status == status
        assert caught.value.response.headers["retry-after"] == "3"


def test_wait_strategies() -> None:
    assert Client(api_token=TOKEN).wait_strategy == "poll"
    assert Replicate(bearer_token=TOKEN).wait_strategy == "stream"
    assert AsyncReplicate(bearer_token=TOKEN)._client.wait_strategy == "stream"
    assert Client(api_token=TOKEN, wait_strategy="stream").wait_strategy == "stream"
    assert Replicate(bearer_token=TOKEN, wait_strategy="poll").wait_strategy == "poll"
    assert AsyncReplicate(bearer_token=TOKEN, wait_strategy="poll")._client.wait_strategy == "poll"


POLLED = ["POST /v1/models/acme/slow/predictions", "GET /v1/predictions/abc123", "GET /v1/predictions/abc123"]
STREAMED = ["POST /v1/models/acme/slow/predictions", "GET /v1/files/streams/abc123", "GET /v1/predictions/abc123"]


@pytest.mark.parametrize(
    ("flavour", "options", "expected"),
    [
        ("Client", {}, POLLED),
        ("Replicate", {}, STREAMED),
        ("Client", {"wait_strategy": "stream"}, STREAMED),
        ("Replicate", {"wait_strategy": "poll"}, POLLED),
    ],
    ids=["Client polls", "Replicate streams", "Client per call", "Replicate per call"],
)
async def test_run_waits_by_polling_on_client_and_by_the_stream_on_replicate(
    style: str, api: MockAPI, flavour: str, options: Dict[str, Any], expected: List[str]
) -> None:
    urls = {**PREDICTION["urls"], "stream": STREAM_URL}
    # The server's hold (Prefer: wait) ended before the model did: the API says `starting`.
    api.on("POST", "/v1/models/acme/slow/predictions", 201, prediction(status="starting", urls=urls))
    if expected is POLLED:
        api.on("GET", "/v1/predictions/abc123", json_body=prediction(status="processing", urls=urls))
    # Once the stream says `done`, the prediction is read once, finished.
    api.on("GET", "/v1/predictions/abc123", json_body={**SUCCEEDED, "urls": urls})
    api.on("GET", STREAM_URL, content=sse_body("hello Alice"), headers={"content-type": "text/event-stream"})
    if flavour == "Client":
        v0 = Client(api_token=TOKEN, transport=api.transport(), poll_interval=0.001)
        if style == "sync":
            output = v0.run("acme/slow", input={}, **options)
        else:
            output = await v0.async_run("acme/slow", input={}, **options)
    else:
        output = await resolve(make_client(style, api).run("acme/slow", input={}, **options))
    assert output == "hello Alice"
    assert [f"{r.method} {r.url.path}" for r in api.requests] == expected


def test_async_replicate_names_are_plain_and_client_names_are_twins() -> None:
    client = AsyncReplicate(bearer_token=TOKEN)
    v0 = Client(api_token=TOKEN)
    assert callable(client.predictions.get) and callable(client.webhooks.default.secret.get)
    assert inspect.iscoroutinefunction(v0.predictions.async_get)
    assert not inspect.iscoroutinefunction(v0.predictions.get)


# A map of the API's 37 operations to the method that runs each in both styles; the tests above
# call every one of them (the README's coverage table is generated from the same list).
OPERATIONS: List[Tuple[str, str, str, str, str]] = [
    ("account.get", "GET", "/account", "replicate.accounts.current() / replicate.account.get()", "client.account.get()"),
    ("collections.list", "GET", "/collections", "replicate.collections.list()", "client.collections.list()"),
    ("collections.get", "GET", "/collections/{collection_slug}", "replicate.collections.get(slug)", "client.collections.get(collection_slug=)"),
    ("deployments.list", "GET", "/deployments", "replicate.deployments.list()", "client.deployments.list()"),
    ("deployments.create", "POST", "/deployments", "replicate.deployments.create(...)", "client.deployments.create(...)"),
    ("deployments.delete", "DELETE", "/deployments/{deployment_owner}/{deployment_name}", "replicate.deployments.delete(owner, name)", "client.deployments.delete(deployment_owner=, deployment_name=)"),
    ("deployments.get", "GET", "/deployments/{deployment_owner}/{deployment_name}", "replicate.deployments.get(\"owner/name\")", "client.deployments.get(deployment_owner=, deployment_name=)"),
    ("deployments.update", "PATCH", "/deployments/{deployment_owner}/{deployment_name}", "replicate.deployments.update(owner, name, ...)", "client.deployments.update(deployment_owner=, deployment_name=, ...)"),
    ("deployments.predictions.create", "POST", "/deployments/{deployment_owner}/{deployment_name}/predictions", "replicate.deployments.predictions.create(\"owner/name\", input)", "client.deployments.predictions.create(deployment_owner=, deployment_name=, input=)"),
    ("files.list", "GET", "/files", "replicate.files.list()", "client.files.list()"),
    ("files.create", "POST", "/files", "replicate.files.create(file)", "client.files.create(content=)"),
    ("files.delete", "DELETE", "/files/{file_id}", "replicate.files.delete(file_id)", "client.files.delete(file_id=)"),
    ("files.get", "GET", "/files/{file_id}", "replicate.files.get(file_id)", "client.files.get(file_id=)"),
    ("files.download", "GET", "/files/{file_id}/download", "replicate.files.download(file_id, owner=, expiry=, signature=)", "client.files.download(file_id=, owner=, expiry=, signature=)"),
    ("hardware.list", "GET", "/hardware", "replicate.hardware.list()", "client.hardware.list()"),
    ("models.list", "GET", "/models", "replicate.models.list()", "client.models.list()"),
    ("models.create", "POST", "/models", "replicate.models.create(owner, name, ...)", "client.models.create(owner=, name=, ...)"),
    ("models.search", "QUERY", "/models", "replicate.models.search(query)", "client.models.search(query=)"),
    ("models.delete", "DELETE", "/models/{model_owner}/{model_name}", "replicate.models.delete(\"owner/name\")", "client.models.delete(model_owner=, model_name=)"),
    ("models.get", "GET", "/models/{model_owner}/{model_name}", "replicate.models.get(\"owner/name\")", "client.models.get(model_owner=, model_name=)"),
    ("models.update", "PATCH", "/models/{model_owner}/{model_name}", "replicate.models.update(\"owner/name\", ...)", "client.models.update(model_owner=, model_name=, ...)"),
    ("models.examples.list", "GET", "/models/{model_owner}/{model_name}/examples", "replicate.models.examples.list(\"owner/name\")", "client.models.examples.list(model_owner=, model_name=)"),
    ("models.predictions.create", "POST", "/models/{model_owner}/{model_name}/predictions", "replicate.models.predictions.create(\"owner/name\", input)", "client.models.predictions.create(model_owner=, model_name=, input=)"),
    ("models.readme.get", "GET", "/models/{model_owner}/{model_name}/readme", "replicate.models.readme.get(\"owner/name\")", "client.models.readme.get(model_owner=, model_name=)"),
    ("models.versions.list", "GET", "/models/{model_owner}/{model_name}/versions", "replicate.models.get(\"owner/name\").versions.list()", "client.models.versions.list(model_owner=, model_name=)"),
    ("models.versions.delete", "DELETE", "/models/{model_owner}/{model_name}/versions/{version_id}", "model.versions.delete(id)", "client.models.versions.delete(model_owner=, model_name=, version_id=)"),
    ("models.versions.get", "GET", "/models/{model_owner}/{model_name}/versions/{version_id}", "model.versions.get(id)", "client.models.versions.get(model_owner=, model_name=, version_id=)"),
    ("trainings.create", "POST", "/models/{model_owner}/{model_name}/versions/{version_id}/trainings", "replicate.trainings.create(\"owner/name:version\", input, destination=)", "client.trainings.create(model_owner=, model_name=, version_id=, destination=, input=)"),
    ("predictions.list", "GET", "/predictions", "replicate.predictions.list()", "client.predictions.list()"),
    ("predictions.create", "POST", "/predictions", "replicate.predictions.create(version=, input=)", "client.predictions.create(version=, input=)"),
    ("predictions.get", "GET", "/predictions/{prediction_id}", "replicate.predictions.get(id)", "client.predictions.get(prediction_id=)"),
    ("predictions.cancel", "POST", "/predictions/{prediction_id}/cancel", "replicate.predictions.cancel(id)", "client.predictions.cancel(prediction_id=)"),
    ("search", "GET", "/search", "replicate.search(query)", "client.search(query=, limit=)"),
    ("trainings.list", "GET", "/trainings", "replicate.trainings.list()", "client.trainings.list()"),
    ("trainings.get", "GET", "/trainings/{training_id}", "replicate.trainings.get(id)", "client.trainings.get(training_id=)"),
    ("trainings.cancel", "POST", "/trainings/{training_id}/cancel", "replicate.trainings.cancel(id)", "client.trainings.cancel(training_id=)"),
    ("webhooks.default.secret.get", "GET", "/webhooks/default/secret", "replicate.webhooks.default.secret()", "client.webhooks.default.secret.get()"),
]


def test_operations_map_covers_the_spec() -> None:
    assert len(OPERATIONS) == 37
    assert len({op[0] for op in OPERATIONS}) == 37
    spec = pathlib.Path(__file__).resolve().parents[1] / ".." / "shared" / "reference" / "replicate-openapi.json"
    if not spec.exists():
        pytest.skip("the API spec is not beside this checkout")
    document = json.loads(spec.read_text())
    in_spec = {
        (operation["operationId"], method.upper(), path)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    assert {(name, method, path) for name, method, path, _, _ in OPERATIONS} == in_spec


def test_v0_style_calls_every_operation(api: MockAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each operation through the v0 spelling of OPERATIONS, on the module's default client."""
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    use_default_client(monkeypatch, Client(transport=api.transport(), poll_interval=0.001))
    m = "/v1/models/o/n"
    d = "/v1/deployments/o/d"
    for method, url, status, body in [
        ("GET", "/v1/account", 200, ACCOUNT),
        ("GET", "/v1/collections", 200, page([COLLECTION])),
        ("GET", "/v1/collections/s", 200, COLLECTION),
        ("GET", "/v1/deployments", 200, page([DEPLOYMENT])),
        ("POST", "/v1/deployments", 200, DEPLOYMENT),
        ("DELETE", d, 204, None),
        ("GET", d, 200, DEPLOYMENT),
        ("PATCH", d, 200, DEPLOYMENT),
        ("POST", f"{d}/predictions", 201, prediction()),
        ("GET", "/v1/files", 200, page([FILE])),
        ("POST", "/v1/files", 201, FILE),
        ("DELETE", "/v1/files/f", 204, None),
        ("GET", "/v1/files/f", 200, FILE),
        ("GET", "/v1/hardware", 200, HARDWARE),
        ("GET", "/v1/models", 200, page([MODEL])),
        ("POST", "/v1/models", 201, MODEL),
        ("QUERY", "/v1/models", 200, page([MODEL])),
        ("DELETE", m, 204, None),
        ("GET", m, 200, {**MODEL, "owner": "o", "name": "n"}),
        ("PATCH", m, 200, MODEL),
        ("GET", f"{m}/examples", 200, page([prediction()])),
        ("POST", f"{m}/predictions", 201, prediction()),
        ("GET", f"{m}/versions", 200, page([VERSION])),
        ("DELETE", f"{m}/versions/v", 202, None),
        ("GET", f"{m}/versions/v", 200, VERSION),
        ("POST", f"{m}/versions/v/trainings", 201, TRAINING),
        ("GET", "/v1/predictions", 200, page([prediction()])),
        ("POST", "/v1/predictions", 201, prediction()),
        ("GET", "/v1/predictions/p", 200, prediction()),
        ("POST", "/v1/predictions/p/cancel", 200, prediction()),
        ("GET", "/v1/search", 200, SEARCH),
        ("GET", "/v1/trainings", 200, page([TRAINING])),
        ("GET", "/v1/trainings/t", 200, TRAINING),
        ("POST", "/v1/trainings/t/cancel", 200, TRAINING),
        ("GET", "/v1/webhooks/default/secret", 200, {"key": "whsec_c2VjcmV0"}),
    ]:
        api.on(method, url, status, body)
    api.on("GET", f"{m}/readme", content=b"# n")
    api.on("GET", "/v1/files/f/download", content=b"bytes")

    replicate.accounts.current()
    replicate.account.get()
    replicate.collections.list()
    replicate.collections.get("s")
    replicate.deployments.list()
    replicate.deployments.create(name="d", model="o/n", version="v", hardware="cpu", min_instances=0, max_instances=1)
    replicate.deployments.delete("o", "d")
    replicate.deployments.get("o/d")
    replicate.deployments.update("o", "d", min_instances=1)
    replicate.deployments.predictions.create("o/d", {"a": 1})
    replicate.files.list()
    replicate.files.create(b"bytes")
    replicate.files.delete("f")
    replicate.files.get("f")
    replicate.files.download("f", owner="o", expiry=1, signature="s")
    replicate.hardware.list()
    replicate.models.list()
    replicate.models.create("o", "n", visibility="public", hardware="cpu")
    replicate.models.search("q")
    replicate.models.delete("o/n")
    model = replicate.models.get("o/n")
    replicate.models.update("o/n", description="x")
    replicate.models.examples.list("o/n")
    replicate.models.predictions.create("o/n", {"a": 1})
    replicate.models.readme.get("o/n")
    model.versions.list()
    model.versions.delete("v")
    model.versions.get("v")
    replicate.trainings.create("o/n:v", {"a": 1}, destination="o/n")
    replicate.predictions.list()
    replicate.predictions.create(version="v", input={})
    replicate.predictions.get("p")
    replicate.predictions.cancel("p")
    replicate.search("q")
    replicate.trainings.list()
    replicate.trainings.get("t")
    replicate.trainings.cancel("t")
    replicate.webhooks.default.secret()

    assert_every_operation_was_called(api)


async def test_newer_style_calls_every_operation(client: AnyClient, api: MockAPI) -> None:
    """Each operation through the newer spelling of OPERATIONS, on Replicate and AsyncReplicate."""
    m = "/v1/models/o/n"
    d = "/v1/deployments/o/d"
    for method, url, status, body in [
        ("GET", "/v1/account", 200, ACCOUNT),
        ("GET", "/v1/collections", 200, page([COLLECTION])),
        ("GET", "/v1/collections/s", 200, COLLECTION),
        ("GET", "/v1/deployments", 200, page([DEPLOYMENT])),
        ("POST", "/v1/deployments", 200, DEPLOYMENT),
        ("DELETE", d, 204, None),
        ("GET", d, 200, DEPLOYMENT),
        ("PATCH", d, 200, DEPLOYMENT),
        ("POST", f"{d}/predictions", 201, prediction()),
        ("GET", "/v1/files", 200, page([FILE])),
        ("POST", "/v1/files", 201, FILE),
        ("DELETE", "/v1/files/f", 204, None),
        ("GET", "/v1/files/f", 200, FILE),
        ("GET", "/v1/hardware", 200, HARDWARE),
        ("GET", "/v1/models", 200, page([MODEL])),
        ("POST", "/v1/models", 201, MODEL),
        ("QUERY", "/v1/models", 200, page([MODEL])),
        ("DELETE", m, 204, None),
        ("GET", m, 200, MODEL),
        ("PATCH", m, 200, MODEL),
        ("GET", f"{m}/examples", 200, page([prediction()])),
        ("POST", f"{m}/predictions", 201, prediction()),
        ("GET", f"{m}/versions", 200, page([VERSION])),
        ("DELETE", f"{m}/versions/v", 202, None),
        ("GET", f"{m}/versions/v", 200, VERSION),
        ("POST", f"{m}/versions/v/trainings", 201, TRAINING),
        ("GET", "/v1/predictions", 200, page([prediction()])),
        ("POST", "/v1/predictions", 201, prediction()),
        ("GET", "/v1/predictions/p", 200, prediction()),
        ("POST", "/v1/predictions/p/cancel", 200, prediction()),
        ("GET", "/v1/search", 200, SEARCH),
        ("GET", "/v1/trainings", 200, page([TRAINING])),
        ("GET", "/v1/trainings/t", 200, TRAINING),
        ("POST", "/v1/trainings/t/cancel", 200, TRAINING),
        ("GET", "/v1/webhooks/default/secret", 200, {"key": "whsec_c2VjcmV0"}),
    ]:
        api.on(method, url, status, body)
    api.on("GET", f"{m}/readme", content=b"# n")
    api.on("GET", "/v1/files/f/download", content=b"bytes")
    c = client
    owner_name: Dict[str, Any] = {"model_owner": "o", "model_name": "n"}
    deployment: Dict[str, Any] = {"deployment_owner": "o", "deployment_name": "d"}
    calls: List[Callable[[], Any]] = [
        lambda: c.account.get(),
        lambda: c.collections.list(),
        lambda: c.collections.get(collection_slug="s"),
        lambda: c.deployments.list(),
        lambda: c.deployments.create(name="d", model="o/n", version="v", hardware="cpu", min_instances=0, max_instances=1),
        lambda: c.deployments.delete(**deployment),
        lambda: c.deployments.get(**deployment),
        lambda: c.deployments.update(**deployment, min_instances=1),
        lambda: c.deployments.predictions.create(**deployment, input={"a": 1}),
        lambda: c.files.list(),
        lambda: c.files.create(content=b"bytes"),  # type: ignore[call-arg]
        lambda: c.files.delete(file_id="f"),
        lambda: c.files.get(file_id="f"),
        lambda: c.files.download(file_id="f", owner="o", expiry=1, signature="s"),
        lambda: c.hardware.list(),
        lambda: c.models.list(),
        lambda: c.models.create(owner="o", name="n", visibility="public", hardware="cpu"),
        lambda: c.models.search(query="q"),
        lambda: c.models.delete(**owner_name),
        lambda: c.models.get(**owner_name),
        lambda: c.models.update(**owner_name, description="x"),
        lambda: c.models.examples.list(**owner_name),
        lambda: c.models.predictions.create(**owner_name, input={"a": 1}),
        lambda: c.models.readme.get(**owner_name),
        lambda: c.models.versions.list(**owner_name),
        lambda: c.models.versions.delete(**owner_name, version_id="v"),
        lambda: c.models.versions.get(**owner_name, version_id="v"),
        lambda: c.trainings.create(**owner_name, version_id="v", destination="o/n", input={"a": 1}),
        lambda: c.predictions.list(),
        lambda: c.predictions.create(version="v", input={}),
        lambda: c.predictions.get(prediction_id="p"),
        lambda: c.predictions.cancel(prediction_id="p"),
        lambda: c.search(query="q"),
        lambda: c.trainings.list(),
        lambda: c.trainings.get(training_id="t"),
        lambda: c.trainings.cancel(training_id="t"),
        lambda: c.webhooks.default.secret.get(),
    ]
    for call in calls:
        await resolve(call())

    assert_every_operation_was_called(api)


def assert_every_operation_was_called(api: MockAPI) -> None:
    templates = {
        "{collection_slug}": "s",
        "{deployment_owner}": "o",
        "{deployment_name}": "d",
        "{file_id}": "f",
        "{model_owner}": "o",
        "{model_name}": "n",
        "{version_id}": "v",
        "{prediction_id}": "p",
        "{training_id}": "t",
    }
    called = {(r.method, r.url.path) for r in api.requests}
    for name, method, path, _, _ in OPERATIONS:
        for template, value in templates.items():
            path = path.replace(template, value)
        assert (method, "/v1" + path) in called, name
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in api.requests)


def test_module_level_async_twins_exist() -> None:
    # v0's async spellings on the module: replicate.async_run, replicate.predictions.async_get ...
    assert inspect.iscoroutinefunction(replicate.account.async_get)
    for name in ("async_run", "async_search"):
        assert callable(getattr(replicate, name))
