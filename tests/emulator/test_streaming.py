"""Server-sent event streams: events, ids, comments, resume with Last-Event-ID."""

from __future__ import annotations

import json
import uuid
from typing import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from replicate.emulator import ConcatenateIterator, Emulator

from .conftest import parse_sse, wait_for_status


def create(client: httpx.Client, model: str, inputs: dict, **headers: str) -> dict:
    response = client.post(
        f"/v1/models/{model}/predictions", json={"input": inputs}, headers=headers
    )
    assert response.status_code == 201, response.text
    return response.json()


def read_stream(url: str, **headers: str) -> list:
    with httpx.Client(timeout=10) as http:
        response = http.get(url, headers={"Accept": "text/event-stream", **headers})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return parse_sse(response.text)


def test_stream_url_is_on_the_delivery_origin(client: httpx.Client, emu: Emulator) -> None:
    body = create(client, "replicate/llm-streamer", {"max_tokens": 2})
    stream = urlsplit(body["urls"]["stream"])
    assert f"{stream.scheme}://{stream.netloc}" == emu.delivery_url != emu.base_url
    assert stream.path == f"/v1/streams/{body['id']}"


def test_stream_events_ids_and_comment(client: httpx.Client) -> None:
    body = create(client, "replicate/llm-streamer", {"max_tokens": 5, "delay": 0.01})
    events = read_stream(body["urls"]["stream"])
    assert events[0] == {"comment": "hi"}
    named = events[1:]
    ids = [int(event["id"]) for event in named]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    tokens = [event["data"] for event in named if event["event"] == "output"]
    assert "".join(tokens) == "Once upon a time a"
    logs = [event["data"] for event in named if event["event"] == "logs"]
    assert logs == ["Prompt: Tell me a story", "Generated 5 tokens"]
    assert named[-1]["event"] == "done" and json.loads(named[-1]["data"]) == {}


def test_stream_after_completion_replays_everything(client: httpx.Client) -> None:
    body = create(client, "replicate/llm-streamer", {"max_tokens": 3, "delay": 0}, Prefer="wait")
    assert body["status"] == "processing" and len(body["output"]) == 3
    events = read_stream(body["urls"]["stream"])[1:]
    assert [e["event"] for e in events] == ["logs", "output", "output", "output", "logs", "done"]


@pytest.mark.parametrize("via", ["header", "query"])
def test_resume_with_last_event_id(client: httpx.Client, via: str) -> None:
    body = create(client, "replicate/llm-streamer", {"max_tokens": 6, "delay": 0}, Prefer="wait")
    full = read_stream(body["urls"]["stream"])[1:]
    if via == "header":
        resumed = read_stream(body["urls"]["stream"], **{"Last-Event-ID": full[2]["id"]})[1:]
    else:
        resumed = read_stream(body["urls"]["stream"] + f"?last_event_id={full[2]['id']}")[1:]
    assert resumed == full[3:]


def test_failure_sends_error_then_done(client: httpx.Client) -> None:
    body = create(client, "replicate/fails", {"message": "nope"})
    events = read_stream(body["urls"]["stream"])[1:]
    error = [e for e in events if e["event"] == "error"]
    assert json.loads(error[0]["data"]) == {"detail": "nope"}
    assert events[-1]["event"] == "done"
    assert json.loads(events[-1]["data"]) == {"reason": "error"}


def test_cancel_ends_stream_with_done(emu: Emulator, client: httpx.Client) -> None:
    body = create(client, "replicate/llm-streamer", {"max_tokens": 500, "delay": 0.01})
    with httpx.Client(timeout=10) as http, http.stream("GET", body["urls"]["stream"]) as response:
        lines = response.iter_lines()
        for line in lines:
            if line.startswith("event: output"):
                break
        client.post(f"/v1/predictions/{body['id']}/cancel")
        rest = "\n".join(lines)
    events = parse_sse(rest)
    assert events[-1]["event"] == "done"
    assert json.loads(events[-1]["data"]) == {"reason": "canceled"}


def test_multiline_data_uses_several_data_lines(emu: Emulator, client: httpx.Client) -> None:
    def poem() -> ConcatenateIterator[str]:
        yield "roses are red\nviolets are blue"

    name = f"acme/poem-{uuid.uuid4().hex[:6]}"
    emu.add_model(name, poem)
    body = create(client, name, {}, Prefer="wait")
    with httpx.Client() as http:
        raw = http.get(body["urls"]["stream"]).text
    assert "data: roses are red\ndata: violets are blue\n" in raw
    events = parse_sse(raw)
    assert events[1]["data"] == "roses are red\nviolets are blue"


def test_file_outputs_stream_urls_under_v1_files(emu: Emulator, client: httpx.Client) -> None:
    body = create(client, "replicate/frames", {"count": 2}, Prefer="wait")
    assert urlsplit(body["urls"]["stream"]).path.startswith("/v1/files/")
    events = read_stream(body["urls"]["stream"])[1:]
    outputs = [e["data"] for e in events if e["event"] == "output"]
    assert outputs == body["output"]
    assert all(url.startswith(emu.delivery_url + "/delivery/") for url in outputs)


def test_stream_requests_do_not_need_and_are_recorded(emu: Emulator, client: httpx.Client) -> None:
    body = create(client, "replicate/hello-world", {"text": "x"}, Prefer="wait")
    read_stream(body["urls"]["stream"])
    recorded = [
        r for r in emu.stats.delivery_requests if r.path == urlsplit(body["urls"]["stream"]).path
    ]
    assert recorded and "authorization" not in recorded[-1].headers


def test_unknown_stream_is_404(emu: Emulator) -> None:
    assert httpx.get(emu.delivery_url + "/v1/streams/nope").status_code == 404


async def test_async_stream_follows_live_events(emu: Emulator, aclient: httpx.AsyncClient) -> None:
    response = await aclient.post(
        "/v1/predictions",
        json={"version": "replicate/llm-streamer", "input": {"max_tokens": 10, "delay": 0.01}},
    )
    url = response.json()["urls"]["stream"]
    async with httpx.AsyncClient(timeout=10) as http, http.stream("GET", url) as stream:
        text = "".join([chunk async for chunk in stream.aiter_text()])
    tokens = [e["data"] for e in parse_sse(text) if e.get("event") == "output"]
    assert len(tokens) == 10


def test_stream_for_generator_with_iterator_annotation(emu: Emulator, client: httpx.Client) -> None:
    def numbers() -> Iterator[int]:
        yield from (1, 2, 3)

    name = f"acme/numbers-{uuid.uuid4().hex[:6]}"
    emu.add_model(name, numbers)
    body = create(client, name, {})
    wait_for_status(client, body["id"], "succeeded")
    events = read_stream(body["urls"]["stream"])[1:]
    assert [e["data"] for e in events if e["event"] == "output"] == ["1", "2", "3"]
