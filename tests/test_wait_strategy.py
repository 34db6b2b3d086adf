"""Waiting strategies against the emulator: v0's polling by default, the stream as an option."""

from __future__ import annotations

import asyncio
import time
from typing import Any, Iterator, List

import httpx
import pytest

from replicate import AsyncReplicate, Replicate
from replicate.client import Client
from replicate.emulator import ConcatenateIterator, Emulator
from replicate.exceptions import ModelError

TOKEN = "r8_strategy"
modes = pytest.mark.parametrize("mode", ["sync", "async"])


def slow_answer(seconds: float = 0.6) -> str:
    """Runs past the (shortened) Prefer: wait hold."""
    print("  0%|          | 0/2")
    time.sleep(seconds / 2)
    print(" 50%|#####     | 1/2")
    time.sleep(seconds / 2)
    return "done"


def slow_tokens(count: int = 5, delay: float = 0.05) -> ConcatenateIterator[str]:
    """Yields text tokens slowly."""
    for i in range(count):
        time.sleep(delay)
        yield f"t{i} "


def slow_failure(seconds: float = 0.4) -> str:
    """Fails after a while."""
    time.sleep(seconds)
    raise RuntimeError("ran out of llamas")


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(TOKEN, max_wait_seconds=0.2).start()
    emu.add_model("strategy/slow", slow_answer)
    emu.add_model("strategy/tokens", slow_tokens)
    emu.add_model("strategy/fails", slow_failure)
    yield emu
    emu.stop()


@pytest.fixture
def emu(emulator: Emulator) -> Emulator:
    emulator.stats.reset()
    return emulator


def api_requests(emu: Emulator) -> List[str]:
    return [f"{r.method} {r.path}" for r in emu.stats.requests]


def run(client: Any, mode: str, ref: str, **params: Any) -> Any:
    if mode == "sync":
        return client.run(ref, input={}, **params)
    return asyncio.run(client.async_run(ref, input={}, **params))


@modes
def test_default_is_v0s_polling(emu: Emulator, mode: str) -> None:
    client = Client(api_token=TOKEN, base_url=emu.base_url, poll_interval=0.05)
    assert run(client, mode, "strategy/slow") == "done"
    requests = api_requests(emu)
    assert requests[0] == "POST /v1/models/strategy/slow/predictions"
    assert len(requests) > 3 and all(r.startswith("GET /v1/predictions/") for r in requests[1:])


@modes
def test_stream_strategy_per_call_uses_three_requests(emu: Emulator, mode: str) -> None:
    client = Client(api_token=TOKEN, base_url=emu.base_url, poll_interval=0.05)
    assert run(client, mode, "strategy/slow", wait_strategy="stream") == "done"
    requests = api_requests(emu)
    assert requests[0] == "POST /v1/models/strategy/slow/predictions"
    assert requests[1].startswith("GET /v1/streams/")
    assert requests[2].startswith("GET /v1/predictions/")
    assert len(requests) == 3
    assert emu.stats.predictions_created == 1


@modes
def test_stream_strategy_per_client(emu: Emulator, mode: str) -> None:
    client = Client(api_token=TOKEN, base_url=emu.base_url, wait_strategy="stream")
    assert run(client, mode, "strategy/slow") == "done"
    assert len(api_requests(emu)) == 3


def test_newer_style_clients_follow_the_stream_by_default(emu: Emulator) -> None:
    client = Replicate(bearer_token=TOKEN, base_url=emu.base_url + "/v1")
    assert client.run("strategy/slow", input={}) == "done"
    assert len(api_requests(emu)) == 3
    emu.stats.reset()

    async def main() -> Any:
        return await AsyncReplicate(bearer_token=TOKEN, base_url=emu.base_url).run("strategy/slow", input={})

    assert asyncio.run(main()) == "done"
    assert len(api_requests(emu)) == 3


@modes
def test_text_iterator_items_come_from_the_stream(emu: Emulator, mode: str) -> None:
    client = Client(api_token=TOKEN, base_url=emu.base_url, wait_strategy="stream")
    version = client.models.get("strategy/tokens").latest_version
    assert version is not None
    emu.stats.reset()
    ref = f"strategy/tokens:{version.id}"
    if mode == "sync":
        items = list(client.run(ref, input={"count": 5}, wait=False))
    else:

        async def collect() -> List[Any]:
            return [item async for item in await client.async_run(ref, input={"count": 5}, wait=False)]

        items = asyncio.run(collect())
    assert items == [f"t{i} " for i in range(5)]
    kinds = [r.split(" ")[1].split("/")[2] for r in api_requests(emu)]
    assert kinds == ["predictions", "models", "streams"]  # create, v0's version read, the stream


@modes
def test_failure_through_the_stream_raises_model_error(emu: Emulator, mode: str) -> None:
    client = Client(api_token=TOKEN, base_url=emu.base_url, wait_strategy="stream")
    with pytest.raises(ModelError) as caught:
        run(client, mode, "strategy/fails")
    assert caught.value.prediction.status == "failed"
    assert "ran out of llamas" in (caught.value.prediction.error or "")


@modes
def test_progress_is_reported_from_log_events(emu: Emulator, mode: str) -> None:
    client = Client(api_token=TOKEN, base_url=emu.base_url, wait_strategy="stream")
    seen: List[float] = []

    def on_progress(prediction: Any) -> None:
        if prediction.progress is not None:
            seen.append(prediction.progress.percentage)

    run(client, mode, "strategy/slow", on_progress=on_progress)
    assert 0.5 in seen


@modes
def test_prediction_wait_with_stream_strategy(emu: Emulator, mode: str) -> None:
    client = Client(api_token=TOKEN, base_url=emu.base_url)
    prediction = client.models.predictions.create("strategy/slow", {})
    if mode == "sync":
        prediction.wait(strategy="stream")
    else:
        asyncio.run(prediction.async_wait(strategy="stream"))
    assert prediction.status == "succeeded" and prediction.output == "done"
    assert len(api_requests(emu)) == 3


def test_without_a_stream_the_stream_strategy_polls() -> None:
    answers = iter(["starting", "processing", "succeeded"])
    requests: List[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(f"{request.method} {request.url.path}")
        body = {"id": "p1", "model": "a/b", "version": "v", "status": next(answers), "output": "ok"}
        return httpx.Response(200, json=body)

    client = Client(api_token="t", transport=httpx.MockTransport(handler), poll_interval=0.001, wait_strategy="stream")
    assert client.run("a/b", input={}) == "ok"
    assert requests == ["POST /v1/models/a/b/predictions", "GET /v1/predictions/p1", "GET /v1/predictions/p1"]


def test_unknown_strategy_is_rejected() -> None:
    with pytest.raises(ValueError, match="wait_strategy"):
        Client(wait_strategy="sometimes")
    client = Client(api_token="t", transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    with pytest.raises(ValueError, match="wait_strategy"):
        client.run("a/b", input={}, wait_strategy="sometimes")
