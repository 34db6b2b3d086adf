"""Predictions: get/list/cancel/create on the namespace, and reload/wait/cancel/output/progress."""

from __future__ import annotations

import asyncio
import datetime
import io
import time
from types import SimpleNamespace
from typing import Any, List

import httpx
import pytest
from namespace_helpers import (
    DEPLOYMENT,
    MODEL,
    PREDICTION,
    TOKEN,
    VERSION,
    VERSION_ID,
    FakeAPI,
    api,
    assert_request,
    both_modes,
    call,
    page,
)

import replicate._polling
from replicate.deployment import Deployment
from replicate.exceptions import ModelError
from replicate.model import Model
from replicate.pagination import Page
from replicate.prediction import Prediction
from replicate.version import Version

PREDICTION_PATH = f"/v1/predictions/{PREDICTION['id']}"
INPUT = {"text": "Alice"}


def status(value: str, **fields: Any) -> dict:
    return {**PREDICTION, "status": value, **fields}


# --- the namespace ----------------------------------------------------------------------


@both_modes
async def test_get(mode: str) -> None:
    fake, client = api((200, PREDICTION))
    prediction = await call(mode, client.predictions, "get", PREDICTION["id"])
    assert_request(fake.request, "GET", PREDICTION_PATH)
    assert isinstance(prediction, Prediction)
    assert (prediction.id, prediction.status, prediction.input) == (PREDICTION["id"], "starting", INPUT)
    assert prediction.urls is not None and prediction.urls["get"].endswith(PREDICTION_PATH)
    assert prediction.source == "api"  # type: ignore[attr-defined]  # unknown fields are kept
    assert prediction._client is client


@both_modes
async def test_list_and_its_cursor(mode: str) -> None:
    next_url = "https://api.replicate.com/v1/predictions?cursor=cD0yMDIy"
    fake, client = api((200, page([PREDICTION], next=next_url)), (200, page([])))
    predictions = await call(mode, client.predictions, "list")
    assert_request(fake.requests[0], "GET", "/v1/predictions")
    assert isinstance(predictions, Page) and predictions[0].id == PREDICTION["id"]
    await call(mode, client.predictions, "list", predictions.next)
    assert_request(fake.requests[1], "GET", "/v1/predictions", query={"cursor": "cD0yMDIy"})
    with pytest.raises(ValueError, match="cursor"):
        await call(mode, client.predictions, "list", None)


@both_modes
async def test_cancel_returns_the_canceled_prediction(mode: str) -> None:
    fake, client = api((200, status("canceled")))
    prediction = await call(mode, client.predictions, "cancel", PREDICTION["id"])
    assert_request(fake.request, "POST", f"{PREDICTION_PATH}/cancel")
    assert isinstance(prediction, Prediction) and prediction.status == "canceled"


@both_modes
@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((VERSION_ID, INPUT), {}),
        ((VERSION_ID,), {"input": INPUT}),
        ((), {"version": VERSION_ID, "input": INPUT}),
        ((), {"version": Version.model_validate(VERSION), "input": INPUT}),
    ],
)
async def test_create_for_a_version(mode: str, args: tuple, kwargs: dict) -> None:
    fake, client = api((201, PREDICTION))
    prediction = await call(mode, client.predictions, "create", *args, **kwargs)
    assert_request(
        fake.request,
        "POST",
        "/v1/predictions",
        json_body={"input": INPUT, "version": VERSION_ID},
        absent_headers=["prefer", "cancel-after"],
    )
    assert prediction.id == PREDICTION["id"] and prediction._client is client


@both_modes
async def test_create_with_a_model_ref_naming_a_version_is_v0s_error(mode: str) -> None:
    # v0 refuses `model="owner/name:version"`; only the newer style reads it as a version.
    fake, client = api((201, PREDICTION))
    with pytest.raises(ValueError) as raised:
        await call(mode, client.predictions, "create", model=f"replicate/hello-world:{VERSION_ID}", input=INPUT)
    assert str(raised.value) == (
        f"Invalid reference to model version: replicate/hello-world:{VERSION_ID}. "
        "Expected model or reference in the format owner/name"
    )
    assert fake.requests == []


def test_newer_style_create_with_a_model_ref_naming_a_version_creates_for_that_version() -> None:
    from replicate import Replicate

    fake, _ = api((201, PREDICTION))
    client = Replicate(api_token=TOKEN, transport=httpx.MockTransport(fake.handler))
    client.predictions.create(model=f"replicate/hello-world:{VERSION_ID}", input=INPUT)
    assert_request(fake.request, "POST", "/v1/predictions", json_body={"input": INPUT, "version": VERSION_ID})


@both_modes
@pytest.mark.parametrize(
    "model", ["replicate/hello-world", ("replicate", "hello-world"), Model.model_validate(MODEL)]
)
async def test_create_for_a_model(mode: str, model: Any) -> None:
    fake, client = api((201, PREDICTION))
    await call(mode, client.predictions, "create", model=model, input=INPUT)
    assert_request(
        fake.request, "POST", "/v1/models/replicate/hello-world/predictions", json_body={"input": INPUT}
    )


@both_modes
@pytest.mark.parametrize(
    "deployment", ["acme/image-upscaler", ("acme", "image-upscaler"), Deployment.model_validate(DEPLOYMENT)]
)
async def test_create_for_a_deployment(mode: str, deployment: Any) -> None:
    fake, client = api((201, PREDICTION))
    await call(mode, client.predictions, "create", deployment=deployment, input=INPUT)
    assert_request(
        fake.request, "POST", "/v1/deployments/acme/image-upscaler/predictions", json_body={"input": INPUT}
    )


@both_modes
async def test_create_with_every_option_keeps_v0s_body_order_and_headers(mode: str) -> None:
    fake, client = api((201, PREDICTION))
    await call(
        mode,
        client.predictions,
        "create",
        version=VERSION_ID,
        input=INPUT,
        stream=True,
        webhook_events_filter=["start", "output", "logs", "completed"],
        webhook_completed="https://example.com/done",
        webhook="https://example.com/hook",
        wait=True,
        cancel_after=datetime.timedelta(minutes=1, seconds=30),
    )
    assert_request(
        fake.request,
        "POST",
        "/v1/predictions",
        json_body={
            "input": INPUT,
            "version": VERSION_ID,
            "webhook": "https://example.com/hook",
            "webhook_completed": "https://example.com/done",
            "webhook_events_filter": ["start", "output", "logs", "completed"],
            "stream": True,
        },
        headers={"prefer": "wait", "cancel-after": "90s"},
    )


@both_modes
@pytest.mark.parametrize(
    "wait, cancel_after, headers",
    [
        (False, None, {}),
        (1, "30s", {"prefer": "wait=1", "cancel-after": "30s"}),
        (60, 5, {"prefer": "wait=60", "cancel-after": "5s"}),
        (None, 2.5, {"cancel-after": "2500ms"}),
        (None, "1h30m45s", {"cancel-after": "1h30m45s"}),
    ],
)
async def test_create_prefer_and_cancel_after_headers(
    mode: str, wait: Any, cancel_after: Any, headers: dict
) -> None:
    fake, client = api((201, PREDICTION))
    options = {key: value for key, value in (("wait", wait), ("cancel_after", cancel_after)) if value is not None}
    await call(mode, client.predictions, "create", VERSION_ID, INPUT, **options)
    sent = {name: fake.request.headers.get(name) for name in ("prefer", "cancel-after")}
    assert {name: value for name, value in sent.items() if value is not None} == headers


@both_modes
async def test_create_holds_the_read_timeout_past_the_wait(mode: str) -> None:
    seen: List[Any] = []

    def reply(request: httpx.Request) -> httpx.Response:
        seen.append(request.extensions["timeout"])
        return httpx.Response(201, json=PREDICTION)

    client = FakeAPI(reply).client()
    await call(mode, client.predictions, "create", VERSION_ID, INPUT, wait=45)
    assert seen[0]["read"] == 45.5


@both_modes
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"input": INPUT}, "Exactly one of 'model', 'version', or 'deployment' must be specified."),
        ({"version": VERSION_ID, "model": "a/b", "input": INPUT}, "Exactly one of 'model', 'version', or 'deployment' must be specified."),
        ({"model": "a/b", "deployment": "c/d", "input": INPUT}, "Exactly one of 'model', 'version', or 'deployment' must be specified."),
    ],
)
async def test_create_needs_exactly_one_target(mode: str, kwargs: dict, message: str) -> None:
    fake, client = api()
    with pytest.raises(ValueError) as caught:
        await call(mode, client.predictions, "create", **kwargs)
    assert str(caught.value) == message  # v0's, word for word
    assert fake.requests == []


@both_modes
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"wait": 0}, ValueError, "wait"),
        ({"wait": 61}, ValueError, "wait"),
        ({"wait": "yes"}, ValueError, "wait"),
        ({"cancel_after": "soon"}, ValueError, "cancel_after"),
        ({"cancel_after": -1}, ValueError, "cancel_after"),
        ({"webhook_events_filter": "completed"}, ValueError, "webhook_events_filter"),
        ({"webhook_events_filter": ["finished"]}, ValueError, "webhook_events_filter"),
        ({"file_encoding_strategy": "carrier-pigeon"}, ValueError, "file_encoding_strategy"),
    ],
)
async def test_create_rejects_bad_options_before_sending(
    mode: str, kwargs: dict, error: type, message: str
) -> None:
    fake, client = api()
    with pytest.raises(error, match=message):
        await call(mode, client.predictions, "create", VERSION_ID, INPUT, **kwargs)
    assert fake.requests == []


@both_modes
async def test_create_inlines_files_as_data_uris_with_base64(mode: str) -> None:
    fake, client = api((201, PREDICTION))
    await call(
        mode,
        client.predictions,
        "create",
        VERSION_ID,
        {"image": io.BytesIO(b"hello")},
        file_encoding_strategy="base64",
    )
    assert_request(
        fake.request,
        "POST",
        "/v1/predictions",
        json_body={"input": {"image": "data:application/octet-stream;base64,aGVsbG8="}, "version": VERSION_ID},
    )


@both_modes
async def test_create_uploads_files_by_default(mode: str) -> None:
    file = {
        "id": "f1", "name": "x", "content_type": "text/plain", "size": 5, "etag": "e",
        "checksums": {}, "metadata": {}, "created_at": "2024-01-01T00:00:00Z",
        "urls": {"get": "https://api.replicate.com/v1/files/f1"},
    }
    fake, client = api((201, file), (201, PREDICTION))
    await call(mode, client.predictions, "create", VERSION_ID, {"doc": io.BytesIO(b"hello")})
    assert [(r.method, r.url.path) for r in fake.requests] == [("POST", "/v1/files"), ("POST", "/v1/predictions")]
    assert_request(
        fake.requests[1],
        "POST",
        "/v1/predictions",
        json_body={"input": {"doc": "https://api.replicate.com/v1/files/f1"}, "version": VERSION_ID},
    )


# --- the resource -----------------------------------------------------------------------


async def fetched(mode: str, fake: FakeAPI) -> Prediction:
    client = fake.client()
    prediction: Prediction = await call(mode, client.predictions, "get", PREDICTION["id"])
    return prediction


@both_modes
async def test_reload_takes_every_field(mode: str) -> None:
    fake = FakeAPI().reply(json_body=PREDICTION).reply(json_body=status("succeeded", output="hi", deadline="x"))
    prediction = await fetched(mode, fake)
    assert await call(mode, prediction, "reload") is None
    assert_request(fake.requests[1], "GET", PREDICTION_PATH)
    assert (prediction.status, prediction.output, prediction.deadline) == ("succeeded", "hi", "x")  # type: ignore[attr-defined]


@both_modes
async def test_cancel_updates_the_prediction(mode: str) -> None:
    fake = FakeAPI().reply(json_body=PREDICTION).reply(json_body=status("canceled"))
    prediction = await fetched(mode, fake)
    assert await call(mode, prediction, "cancel") is None
    assert_request(fake.requests[1], "POST", f"{PREDICTION_PATH}/cancel")
    assert prediction.status == "canceled"


@both_modes
@pytest.mark.parametrize("final", ["succeeded", "failed", "canceled", "aborted"])
async def test_wait_polls_at_the_poll_interval_until_terminal(
    mode: str, final: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    delays: List[float] = []
    real_sleep = asyncio.sleep

    def fake_sleep(seconds: float) -> None:
        if mode == "async":
            raise AssertionError("async_wait must not block the event loop")
        delays.append(seconds)

    async def fake_async_sleep(seconds: float) -> None:
        delays.append(seconds)
        await real_sleep(0)

    # Only the polling module's view of `time` and its async sleep change: other threads keep theirs.
    monkeypatch.setattr(replicate._polling, "time", SimpleNamespace(sleep=fake_sleep, monotonic=time.monotonic))
    monkeypatch.setattr(replicate._polling, "async_sleep", fake_async_sleep)
    fake = FakeAPI().reply(json_body=PREDICTION)
    fake.reply(json_body=status("processing")).reply(json_body=status("processing", logs="a"))
    fake.reply(json_body=status(final))
    client = fake.client(poll_interval=0.25)
    prediction = await call(mode, client.predictions, "get", PREDICTION["id"])
    seen: List[str] = []
    assert await call(mode, prediction, "wait", on_progress=lambda p: seen.append(p.status)) is None
    assert prediction.status == final
    assert delays == [0.25, 0.25, 0.25]
    assert [r.url.path for r in fake.requests] == [PREDICTION_PATH] * 4
    assert seen == ["starting", "processing", final]  # reported when the logs change


@both_modes
async def test_wait_raises_timeout_error(mode: str) -> None:
    fake = FakeAPI().reply(json_body=PREDICTION)
    fake.replies.extend(httpx.Response(200, json=status("processing")) for _ in range(1000))
    client = fake.client(poll_interval=0.001)
    prediction = await call(mode, client.predictions, "get", PREDICTION["id"])
    with pytest.raises(TimeoutError, match="still processing"):
        await call(mode, prediction, "wait", timeout=0.02)


async def test_async_wait_lets_other_tasks_run() -> None:
    fake = FakeAPI().reply(json_body=PREDICTION)
    fake.replies.extend(httpx.Response(200, json=status("processing")) for _ in range(5))
    fake.reply(json_body=status("succeeded"))
    client = fake.client(poll_interval=0.001)
    prediction = await client.predictions.async_get(PREDICTION["id"])
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.ensure_future(ticker())
    await prediction.async_wait()
    task.cancel()
    assert prediction.status == "succeeded"
    assert ticks >= 5


@both_modes
async def test_output_iterator_yields_new_items_as_they_appear(mode: str) -> None:
    fake = FakeAPI().reply(json_body=status("processing", output=["a"]))
    fake.reply(json_body=status("processing", output=["a", "b"]))
    fake.reply(json_body=status("succeeded", output=["a", "b", "c"]))
    client = fake.client()
    prediction = await call(mode, client.predictions, "get", PREDICTION["id"])
    if mode == "sync":
        items = list(prediction.output_iterator())
    else:
        items = [item async for item in prediction.async_output_iterator()]
    assert items == ["a", "b", "c"]


@both_modes
async def test_output_iterator_raises_model_error_on_failure(mode: str) -> None:
    fake = FakeAPI().reply(json_body=status("processing", output=["a"]))
    fake.reply(json_body=status("failed", output=["a"], error="out of memory"))
    client = fake.client()
    prediction = await call(mode, client.predictions, "get", PREDICTION["id"])
    items: List[Any] = []
    with pytest.raises(ModelError, match="out of memory") as info:
        if mode == "sync":
            items.extend(prediction.output_iterator())
        else:
            items.extend([item async for item in prediction.async_output_iterator()])
    assert info.value.prediction.id == PREDICTION["id"]


def test_progress_reads_the_last_tqdm_bar() -> None:
    logs = (
        "Using seed: 42\n"
        "  0%|          | 0/50 [00:00<?, ?it/s]\n"
        " 50%|█████     | 25/50 [00:01<00:01, 16.4it/s]\n"
        "some other line\n"
        " 98%|█████████▊| 49/50 [00:02<00:00, 16.4it/s]\r100%|██████████| 50/50 [00:03<00:00, 16.4it/s]\n"
        "done\n"
    )
    progress = Prediction.model_validate(status("processing", logs=logs)).progress
    assert progress == Prediction.Progress(percentage=1.0, current=50, total=50)
    assert Prediction.Progress.parse(" 12%|█▏        | 6/50 [00:00<00:02, 16.20it/s]") == Prediction.Progress(
        0.12, 6, 50
    )
    assert Prediction.Progress.parse("no bars here") is None
    assert Prediction.model_validate(PREDICTION).progress is None


def test_methods_of_an_unfetched_prediction_need_a_client() -> None:
    with pytest.raises(ValueError, match="not fetched through a client"):
        Prediction.model_validate(PREDICTION).reload()
