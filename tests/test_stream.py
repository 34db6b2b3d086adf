"""`stream` / `async_stream` and `Prediction.stream`: server-sent events, resumption, fallback."""

from __future__ import annotations

import asyncio
import json
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import httpx
import pytest

from replicate.client import Client
from replicate.exceptions import ModelError, NotFoundError, ReplicateError
from replicate.stream import (
    MAX_RECONNECTS,
    EventSource,
    ServerSentEvent,
    SSEParser,
    StreamingError,
    _undelivered,
)

VERSION_ID = "02e509c789964a7ea8736978a43525956ef40397be9033abf9fd2badfe68c9e3"
API = "https://api.replicate.com"
STREAM_URL = "https://stream.replicate.com/v1/streams/abc"
STREAM_PATH = "/v1/streams/abc"
SSE_HEADERS = {"content-type": "text/event-stream"}

OUTPUT = ServerSentEvent.EventType.OUTPUT
LOGS = ServerSentEvent.EventType.LOGS
DONE = ServerSentEvent.EventType.DONE


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A response body sent in the given chunks, optionally cut off at the end."""

    def __init__(self, chunks: Sequence[bytes], cut: bool = False) -> None:
        self.chunks = list(chunks)
        self.cut = cut

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks
        if self.cut:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk
        if self.cut:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


def sse(*chunks: bytes, cut: bool = False) -> Callable[[httpx.Request], httpx.Response]:
    return lambda request: httpx.Response(200, headers=SSE_HEADERS, stream=Body(chunks, cut))


def event(name: str, id: str, *data: str) -> bytes:
    lines = [f"event: {name}", f"id: {id}", *[f"data: {line}" for line in data]]
    return ("\n".join(lines) + "\n\n").encode()


def prediction(status: str, output: Any = None, stream: bool = True, **fields: Any) -> Dict[str, Any]:
    urls = {"get": f"{API}/v1/predictions/p1", "cancel": f"{API}/v1/predictions/p1/cancel"}
    if stream:
        urls["stream"] = STREAM_URL
    body = {"id": "p1", "model": "meta/llama", "version": VERSION_ID, "status": status, "output": output, "urls": urls}
    body.update(fields)
    return body


class FakeAPI:
    """Answers each (method, path) from a script, in order, repeating the last; records requests."""

    def __init__(self) -> None:
        self.routes: Dict[Tuple[str, str], List[Any]] = {}
        self.requests: List[httpx.Request] = []

    def on(self, method: str, path: str, *replies: Any) -> FakeAPI:
        self.routes.setdefault((method, path), []).extend(replies)
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        replies = self.routes[(request.method, request.url.path)]
        reply = replies.pop(0) if len(replies) > 1 else replies[0]
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply):
            response: httpx.Response = reply(request)
            return response
        return httpx.Response(201 if request.method == "POST" else 200, json=reply)

    def client(self) -> Client:
        return Client(api_token="r8_test", transport=httpx.MockTransport(self), poll_interval=0.001)

    def stream_requests(self) -> List[httpx.Request]:
        return [r for r in self.requests if r.url.path == STREAM_PATH]


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def collect(mode: str, client: Client, ref: Any = VERSION_ID, input: Optional[Dict[str, Any]] = None, **kw: Any) -> List[ServerSentEvent]:
    if mode == "sync":
        return list(client.stream(ref, input=input, **kw))

    async def go() -> List[ServerSentEvent]:
        try:
            return [e async for e in await client.async_stream(ref, input, **kw)]
        finally:
            await client.aclose()

    return asyncio.run(go())


def collect_into(seen: List[ServerSentEvent], mode: str, client: Client) -> None:
    """Stream VERSION_ID, appending each event as it arrives (so a raise keeps what came before)."""
    if mode == "sync":
        seen.extend(client.stream(VERSION_ID))
        return

    async def go() -> None:
        async for e in await client.async_stream(VERSION_ID):
            seen.append(e)

    asyncio.run(go())


def collect_prediction(mode: str, client: Client) -> List[ServerSentEvent]:
    if mode == "sync":
        return list(client.predictions.get("p1").stream())

    async def go() -> List[ServerSentEvent]:
        try:
            found = await client.predictions.async_get("p1")
            return [e async for e in found.async_stream()]
        finally:
            await client.aclose()

    return asyncio.run(go())


def summary(events: List[ServerSentEvent]) -> List[Tuple[Any, str, str]]:
    return [(e.event, e.id, e.data) for e in events]


# --- a whole stream ----------------------------------------------------------------------------


def test_stream_creates_with_stream_true_then_reads_the_events(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on(
            "GET",
            STREAM_PATH,
            sse(
                b": hi\n\n",
                event("output", "1:0", "Hello"),
                event("logs", "1:1", "step 1", "step 2"),
                event("output", "1:2", " world"),
                event("done", "1:3", "{}"),
            ),
        )
    )
    events = collect(mode, api.client(), VERSION_ID, {"prompt": "hi"})

    assert summary(events) == [
        (OUTPUT, "1:0", "Hello"),
        (LOGS, "1:1", "step 1\nstep 2"),
        (OUTPUT, "1:2", " world"),
        (DONE, "1:3", "{}"),
    ]
    assert "".join(str(e) for e in events) == "Hello world"
    create, get = api.requests
    assert (create.method, str(create.url)) == ("POST", f"{API}/v1/predictions")
    assert json.loads(create.content) == {"input": {"prompt": "hi"}, "version": VERSION_ID, "stream": True}
    assert "prefer" not in create.headers
    assert (get.method, str(get.url)) == ("GET", STREAM_URL)
    assert get.headers["accept"] == "text/event-stream"
    assert get.headers["cache-control"] == "no-store"
    assert "last-event-id" not in get.headers
    assert "authorization" not in get.headers  # the stream host is not the API


def test_stream_of_an_official_model_uses_the_models_endpoint(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/models/meta/llama/predictions", prediction("starting"))
        .on("GET", STREAM_PATH, sse(event("output", "1", "x"), event("done", "2", "{}")))
    )
    events = collect(mode, api.client(), "meta/llama", {"prompt": "hi"})
    assert [str(e) for e in events] == ["x", ""]
    assert json.loads(api.requests[0].content) == {"input": {"prompt": "hi"}, "stream": True}


def test_stream_sends_nothing_until_iterated() -> None:
    api = FakeAPI()
    api.client().stream(VERSION_ID, input={})
    assert api.requests == []


def test_sse_format_details(mode: str) -> None:
    body = (
        b": a comment\r\n"
        b"retry: 2500\r\n"
        b"event: output\r\nid: 7\r\ndata:no space\r\n\r\n"
        b"event: heartbeat-v2\rdata: {}\r\r"  # unknown name, no id: inherits id 7
        b"event: output\nid: 8\nunknown: ignored\ndata\ndata:  two spaces\n\n"
        b"event: done\nid: 9\ndata: {}\n\n"
    )
    api = FakeAPI().on("POST", "/v1/predictions", prediction("starting")).on("GET", STREAM_PATH, sse(body))
    events = collect(mode, api.client())
    assert summary(events) == [
        (OUTPUT, "7", "no space"),
        ("heartbeat-v2", "7", "{}"),
        (OUTPUT, "8", "\n two spaces"),
        (DONE, "9", "{}"),
    ]
    assert (events[0].retry, events[2].retry) == (2500, None)  # retry belongs to its own event
    assert not isinstance(events[1].event, ServerSentEvent.EventType)
    assert events[1].event == "heartbeat-v2" and str(events[1]) == ""


def test_retry_field_is_kept_on_its_event() -> None:
    from replicate.stream import SSEParser

    (first, second) = SSEParser().feed(b"retry: 3000\nevent: output\ndata: a\n\nretry: x\nevent: output\ndata: b\n\n")
    assert (first.retry, second.retry) == (3000, None)


def test_an_unterminated_final_event_is_not_dispatched() -> None:
    from replicate.stream import SSEParser

    parser = SSEParser()
    assert summary(parser.feed(b"event: output\nid: 1\ndata: a\n\nevent: output\ndata: b")) == [(OUTPUT, "1", "a")]


def test_error_event_raises_streaming_error_with_the_detail(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on(
            "GET",
            STREAM_PATH,
            sse(
                event("output", "1", "partial"),
                event("error", "2", json.dumps({"detail": "CUDA out of memory"})),
                event("done", "3", json.dumps({"reason": "error"})),
            ),
        )
    )
    seen: List[ServerSentEvent] = []
    with pytest.raises(StreamingError) as excinfo:
        collect_into(seen, mode, api.client())
    error = excinfo.value
    assert isinstance(error, ModelError) and isinstance(error, RuntimeError)
    assert str(error) == "CUDA out of memory"
    assert (error.prediction.id, error.prediction.status, error.prediction.error) == ("p1", "failed", "CUDA out of memory")
    assert [str(e) for e in seen] == ["partial"]


def test_output_before_an_error_in_the_same_chunk_is_delivered(mode: str) -> None:
    one_chunk = (
        event("output", "1", "first")
        + event("output", "2", "second")
        + event("error", "3", json.dumps({"detail": "boom"}))
    )
    api = FakeAPI().on("POST", "/v1/predictions", prediction("starting")).on("GET", STREAM_PATH, sse(one_chunk))
    seen: List[ServerSentEvent] = []
    with pytest.raises(StreamingError, match="boom"):
        collect_into(seen, mode, api.client())
    assert [str(e) for e in seen] == ["first", "second"]


def test_model_without_stream_url_raises_replicate_error(mode: str) -> None:
    api = FakeAPI().on("POST", "/v1/predictions", prediction("starting", stream=False))
    with pytest.raises(ReplicateError, match="does not support streaming") as caught:
        collect(mode, api.client())
    assert [r.method for r in api.requests] == ["POST"]
    # v0's error, built as v0 builds it
    assert str(caught.value) == "ReplicateError Details:\ntype: Model does not support streaming"
    assert caught.value.type == "Model does not support streaming"


def test_prediction_stream_without_url_raises_at_the_call() -> None:
    api = FakeAPI().on("GET", "/v1/predictions/p1", prediction("starting", stream=False))
    found = api.client().predictions.get("p1")
    with pytest.raises(ReplicateError, match="does not support streaming"):
        found.stream()

    async def first_event() -> Any:
        return await found.async_stream().__anext__()

    with pytest.raises(ReplicateError, match="does not support streaming"):
        asyncio.run(first_event())


def test_refused_first_connection_raises_the_api_error(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", STREAM_PATH, lambda r: httpx.Response(404, json={"detail": "stream not found", "status": 404}))
    )
    with pytest.raises(NotFoundError, match="stream not found"):
        collect(mode, api.client())


def test_prediction_stream(mode: str) -> None:
    api = (
        FakeAPI()
        .on("GET", "/v1/predictions/p1", prediction("processing"))
        .on("GET", STREAM_PATH, sse(event("output", "1", "a"), event("done", "2", "{}")))
    )
    assert summary(collect_prediction(mode, api.client())) == [(OUTPUT, "1", "a"), (DONE, "2", "{}")]


# --- resuming --------------------------------------------------------------------------------


def test_cut_stream_resumes_with_last_event_id_without_loss_or_repeat(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on(
            "GET",
            STREAM_PATH,
            # cut in the middle of event 3: its start must not leak into the resumed stream
            sse(event("output", "1", "a"), event("output", "2", "b"), b"event: output\nid: 3\nda", cut=True),
            sse(event("output", "3", "c"), event("output", "4", "d"), event("done", "5", "{}")),
        )
    )
    events = collect(mode, api.client())
    assert summary(events) == [
        (OUTPUT, "1", "a"),
        (OUTPUT, "2", "b"),
        (OUTPUT, "3", "c"),
        (OUTPUT, "4", "d"),
        (DONE, "5", "{}"),
    ]
    first, second = api.stream_requests()
    assert "last-event-id" not in first.headers
    assert second.headers["last-event-id"] == "2"
    assert second.headers["accept"] == "text/event-stream"


def test_replayed_events_are_not_delivered_twice(mode: str) -> None:
    # A server that ignores Last-Event-ID replays from the start; ids deduplicate.
    everything = [event("output", "1", "a"), event("output", "2", "b"), event("done", "3", "{}")]
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", STREAM_PATH, sse(*everything[:1], cut=True), sse(*everything))
    )
    assert summary(collect(mode, api.client())) == [(OUTPUT, "1", "a"), (OUTPUT, "2", "b"), (DONE, "3", "{}")]


def test_connection_closed_before_done_reconnects(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", STREAM_PATH, sse(event("output", "1", "a")), sse(event("done", "2", "{}")))
    )
    assert summary(collect(mode, api.client())) == [(OUTPUT, "1", "a"), (DONE, "2", "{}")]
    assert [r.headers.get("last-event-id") for r in api.stream_requests()] == [None, "1"]


def test_unresumable_stream_falls_back_to_polling(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on(
            "GET",
            STREAM_PATH,
            sse(event("output", "1", "a"), cut=True),
            lambda r: httpx.Response(404, json={"detail": "gone"}),
        )
        .on(
            "GET",
            "/v1/predictions/p1",
            prediction("processing", ["a", "b"]),
            prediction("succeeded", ["a", "b", "c"]),
        )
    )
    events = collect(mode, api.client())
    assert summary(events) == [(OUTPUT, "1", "a"), (OUTPUT, "1", "b"), (OUTPUT, "1", "c"), (DONE, "1", "{}")]
    assert [(r.method, r.url.path) for r in api.requests] == [
        ("POST", "/v1/predictions"),
        ("GET", STREAM_PATH),
        ("GET", STREAM_PATH),
        ("GET", "/v1/predictions/p1"),
        ("GET", "/v1/predictions/p1"),
    ]


def test_reconnection_attempts_are_bounded_then_polling_takes_over(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on(
            "GET",
            STREAM_PATH,
            sse(event("output", "1", "Hel"), cut=True),
            sse(cut=True),
            lambda r: httpx.Response(500, json={"detail": "stream host failed"}),
        )
        .on("GET", "/v1/predictions/p1", prediction("succeeded", "Hello"))
    )
    events = collect(mode, api.client())
    assert summary(events) == [(OUTPUT, "1", "Hel"), (OUTPUT, "1", "lo"), (DONE, "1", "{}")]
    assert len(api.stream_requests()) == 1 + MAX_RECONNECTS


def test_fallback_to_a_failed_prediction_raises_streaming_error(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", STREAM_PATH, sse(cut=True), lambda r: httpx.Response(410, json={"detail": "gone"}))
        .on("GET", "/v1/predictions/p1", prediction("failed", None, error="boom"))
    )
    with pytest.raises(StreamingError, match="boom"):
        collect(mode, api.client())


def test_fallback_of_a_canceled_prediction_ends_with_its_reason(mode: str) -> None:
    api = (
        FakeAPI()
        .on("POST", "/v1/predictions", prediction("starting"))
        .on("GET", STREAM_PATH, sse(cut=True), lambda r: httpx.Response(404, json={}))
        .on("GET", "/v1/predictions/p1", prediction("canceled", ["x"]))
    )
    assert summary(collect(mode, api.client())) == [(OUTPUT, "", "x"), (DONE, "", '{"reason": "canceled"}')]


@pytest.mark.parametrize(
    ("output", "delivered", "rest"),
    [
        (None, [], []),
        (["a", "b"], ["a"], ["b"]),
        ("Hello", ["He"], ["llo"]),
        ("Hello", ["Hello"], []),
        ({"k": 1}, [], ['{"k": 1}']),
        ([{"k": 1}], [], ['{"k": 1}']),
    ],
)
def test_undelivered_output(output: Any, delivered: List[str], rest: List[str]) -> None:
    assert _undelivered(output, delivered) == rest


# --- EventSource and ServerSentEvent (v0 names) ------------------------------------------------


def test_event_source_reads_one_response(mode: str) -> None:
    body = event("output", "1", "a") + event("done", "2", "{}") + event("output", "3", "after done")

    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-type": "text/event-stream; charset=utf-8"}, stream=Body([body]))

    client = Client(transport=httpx.MockTransport(respond))
    if mode == "sync":
        with client._client.stream("GET", STREAM_URL) as response:
            events = list(EventSource(client, response))
    else:

        async def go() -> List[ServerSentEvent]:
            async with client._async_client.stream("GET", STREAM_URL) as response:
                return [e async for e in EventSource(client, response)]

        events = asyncio.run(go())
    assert summary(events) == [(OUTPUT, "1", "a"), (DONE, "2", "{}")]


def test_event_source_rejects_other_content_types() -> None:
    response = httpx.Response(200, headers={"content-type": "application/json"}, content=b"{}")
    with pytest.raises(ValueError, match="text/event-stream"):
        EventSource(Client(), response)


def test_event_source_error_without_prediction_still_raises_model_error() -> None:
    response = httpx.Response(200, headers=SSE_HEADERS, content=event("error", "1", "not json"))
    with pytest.raises(StreamingError, match="not json") as excinfo:
        list(EventSource(Client(), response))
    assert excinfo.value.prediction.status == "failed"


def test_server_sent_event_model() -> None:
    output = ServerSentEvent(event="output", data="tok", id="1")
    assert output.event is ServerSentEvent.EventType.OUTPUT
    assert output.event == "output"  # type: ignore[comparison-overlap]  # a str enum, like v0's names
    assert str(output) == "tok" and output.retry is None
    assert str(ServerSentEvent(event="logs", data="log line", id="2")) == ""
    assert ServerSentEvent(event="custom", data="", id="").event == "custom"


def test_decoder_keeps_v0_attributes() -> None:
    decoder = EventSource.Decoder()
    assert (decoder.event, decoder.data, decoder.last_event_id, decoder.retry) == (None, [], None, None)
    assert decoder.decode("event: output") is None
    assert decoder.decode("id: 5") is None
    assert decoder.decode("data: x") is None
    assert (decoder.event, decoder.data, decoder.last_event_id) == ("output", ["x"], "5")
    dispatched = decoder.decode("")
    assert dispatched is not None and summary([dispatched]) == [(OUTPUT, "5", "x")]
    assert decoder.decode("") is None  # nothing pending
    assert decoder.decode("id: a\0b") is None and decoder.last_event_id == "5"


def test_parser_makes_each_event_when_it_is_taken() -> None:
    parser = SSEParser()
    events = parser.iter_events(b"id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\nid: 4\ndata: d")
    first = next(events)
    # Lazy: the events after the first are not made (nor their ids dispatched) yet.
    assert (first.id, parser.decoder.dispatched_event_id) == ("1", "1")
    assert [event.id for event in events] == ["2", "3"]
    # The unfinished fourth event is kept for the next chunk.
    assert summary(parser.feed(b"\n\n")) == [("message", "4", "d")]


def test_decoder_state_is_saved_when_its_iterator_is_closed_early() -> None:
    decoder = EventSource.Decoder()
    events = decoder.take(["id: 1", "data: a", "", "event: logs", "data: b"])
    assert next(events).id == "1"
    events.close()  # the lines after the first event are dropped, the decoder stays consistent
    assert (decoder.event, decoder.data, decoder.last_event_id) == (None, [], "1")
    assert summary(list(decoder.take(["data: c", ""]))) == [("message", "1", "c")]
