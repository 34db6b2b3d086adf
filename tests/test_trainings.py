"""Trainings: create (v0's and the newer SDK's forms), get/list/cancel, reload/wait/cancel."""

from __future__ import annotations

import io
from typing import Any

import pytest
from namespace_helpers import (
    MODEL,
    TRAINING,
    VERSION,
    VERSION_ID,
    FakeAPI,
    api,
    assert_request,
    both_modes,
    call,
    page,
)

from replicate.exceptions import ReplicateError
from replicate.model import Model
from replicate.pagination import Page
from replicate.training import Training
from replicate.version import Version

TRAININGS_PATH = f"/v1/models/stability-ai/sdxl/versions/{VERSION_ID}/trainings"
TRAINING_PATH = f"/v1/trainings/{TRAINING['id']}"
INPUT = {"input_images": "https://example.com/images.zip"}
BODY = {"input": INPUT, "destination": "alice/my-sdxl"}


@both_modes
@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((), {"model": "stability-ai/sdxl", "version": VERSION_ID, "input": INPUT}),
        ((), {"model": ("stability-ai", "sdxl"), "version": Version.model_validate(VERSION), "input": INPUT}),
        ((), {"version": f"stability-ai/sdxl:{VERSION_ID}", "input": INPUT}),  # v0's README form
        ((), {"model_owner": "stability-ai", "model_name": "sdxl", "version_id": VERSION_ID, "input": INPUT}),
    ],
)
async def test_create(mode: str, args: tuple, kwargs: dict) -> None:
    fake, client = api((201, TRAINING))
    training = await call(mode, client.trainings, "create", *args, destination="alice/my-sdxl", **kwargs)
    assert_request(fake.request, "POST", TRAININGS_PATH, json_body=BODY)
    assert isinstance(training, Training)
    assert (training.id, training.status, training.destination) == (TRAINING["id"], "starting", "alice/my-sdxl")
    assert training._client is client


async def test_async_create_with_v0s_positional_arguments() -> None:
    fake, client = api((201, TRAINING))
    await client.trainings.async_create("stability-ai/sdxl", VERSION_ID, INPUT, destination="alice/my-sdxl")
    assert_request(fake.request, "POST", TRAININGS_PATH, json_body=BODY)


def test_sync_create_with_v0s_positional_shorthand() -> None:
    fake, client = api((201, TRAINING))
    client.trainings.create(f"stability-ai/sdxl:{VERSION_ID}", INPUT, destination="alice/my-sdxl")
    assert_request(fake.request, "POST", TRAININGS_PATH, json_body=BODY)


def test_sync_create_fully_positional_as_v0() -> None:
    fake, client = api((201, TRAINING))
    client.trainings.create(
        f"stability-ai/sdxl:{VERSION_ID}", INPUT, "alice/my-sdxl", "https://example.com/hook",
        "https://example.com/done", ["completed"],
    )
    assert_request(
        fake.request,
        "POST",
        TRAININGS_PATH,
        json_body={
            **BODY,
            "webhook": "https://example.com/hook",
            "webhook_completed": "https://example.com/done",
            "webhook_events_filter": ["completed"],
        },
    )


def test_the_positional_form_wins_over_model_and_version_as_in_v0() -> None:
    fake, client = api((201, TRAINING))
    client.trainings.create(f"stability-ai/sdxl:{VERSION_ID}", INPUT, "alice/my-sdxl", model="c/d", version="x")
    assert_request(fake.request, "POST", TRAININGS_PATH, json_body=BODY)


@both_modes
async def test_destination_comes_from_the_output_version_when_the_api_leaves_it_out(mode: str) -> None:
    finished = {**TRAINING, "status": "succeeded", "output": {"version": f"alice/my-sdxl:{VERSION_ID}", "weights": "w"}}
    del finished["destination"]
    _, client = api((201, finished), (200, finished))
    training = await call(mode, client.trainings, "create", model="stability-ai/sdxl", version=VERSION_ID,
                          input=INPUT, destination="alice/my-sdxl")
    assert training.destination == "alice/my-sdxl"
    assert (await call(mode, client.trainings, "get", finished["id"])).destination == "alice/my-sdxl"
    started = Training.model_validate({k: v for k, v in TRAINING.items() if k != "destination"})
    assert started.destination is None


@both_modes
async def test_create_with_webhooks_and_a_model_destination(mode: str) -> None:
    fake, client = api((201, TRAINING))
    await call(
        mode,
        client.trainings,
        "create",
        model="stability-ai/sdxl",
        version=VERSION_ID,
        input=INPUT,
        destination=Model.model_validate({**MODEL, "owner": "alice", "name": "my-sdxl"}),
        webhook="https://example.com/hook",
        webhook_completed="https://example.com/done",
        webhook_events_filter=["completed"],
    )
    assert_request(
        fake.request,
        "POST",
        TRAININGS_PATH,
        json_body={
            **BODY,
            "webhook": "https://example.com/hook",
            "webhook_completed": "https://example.com/done",
            "webhook_events_filter": ["completed"],
        },
    )


@both_modes
async def test_create_sends_a_string_destination_as_given(mode: str) -> None:
    problem = {"detail": "The specified training destination does not exist", "status": 404}
    fake, client = api((404, problem))
    with pytest.raises(ReplicateError) as info:
        await call(
            mode, client.trainings, "create", model="stability-ai/sdxl", version=VERSION_ID, input=INPUT,
            destination="<invalid>",
        )
    assert_request(fake.request, "POST", TRAININGS_PATH, json_body={"input": INPUT, "destination": "<invalid>"})
    assert info.value.status == 404


@both_modes
@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"input": INPUT, "destination": "a/b"}, ValueError, "model and version or shorthand version must be specified"),
        (
            {"model": "stability-ai/sdxl", "input": INPUT, "destination": "a/b"},
            ValueError,
            "model and version or shorthand version must be specified",
        ),
        (
            {"model": f"stability-ai/sdxl:{VERSION_ID}", "input": INPUT, "destination": "a/b"},
            ValueError,
            "model and version or shorthand version must be specified",
        ),
        (
            {"model": "stability-ai/sdxl", "version": VERSION_ID, "input": INPUT},
            ValueError,
            "A destination must be provided as a positional or keyword argument.",
        ),
        (
            {"model": "sdxl", "version": VERSION_ID, "destination": "a/b"},
            ValueError,
            "Invalid reference to model version: sdxl. Expected format: owner/name:version",
        ),
        (
            {"model": 42, "version": VERSION_ID, "destination": "a/b"},
            ValueError,
            "model must be a Model, a tuple of (owner, name), or a string in the format 'owner/name'",
        ),
        (
            {"version": "sdxl", "destination": "a/b"},
            ValueError,
            "Invalid reference to model version: sdxl. Expected format: owner/name:version",
        ),
    ],
)
async def test_create_rejects_bad_arguments_with_v0s_messages(
    mode: str, kwargs: dict, error: type, message: str
) -> None:
    fake, client = api()
    with pytest.raises(error) as caught:
        await call(mode, client.trainings, "create", **kwargs)
    assert type(caught.value) is error and str(caught.value) == message
    assert fake.requests == []


@both_modes
async def test_create_rejects_an_unknown_webhook_event(mode: str) -> None:
    fake, client = api()
    with pytest.raises(ValueError, match="webhook_events_filter"):
        await call(mode, client.trainings, "create", model="a/b", version=VERSION_ID, destination="a/b",
                   webhook_events_filter=["x"])
    assert fake.requests == []


@both_modes
async def test_unknown_keywords_are_ignored_with_a_warning_as_v0_ignores_them(mode: str) -> None:
    fake, client = api((201, TRAINING))
    with pytest.warns(UserWarning, match="ignoring unknown keyword argument.*creating a training: stream"):
        await call(mode, client.trainings, "create", model="stability-ai/sdxl", version=VERSION_ID, input=INPUT,
                   destination="alice/my-sdxl", stream=True)
    assert_request(fake.request, "POST", TRAININGS_PATH, json_body=BODY)


def test_sync_create_rejects_malformed_positional_forms() -> None:
    fake, client = api()
    with pytest.raises(ValueError, match=r"^Invalid reference to model version: stability-ai/sdxl\. Expected"):
        client.trainings.create("stability-ai/sdxl", INPUT, destination="a/b")
    with pytest.raises(ValueError, match=r"^model and version or shorthand version must be specified$"):
        client.trainings.create("", INPUT, destination="a/b")
    with pytest.raises(TypeError, match="at most 6 positional"):
        client.trainings.create(f"a/b:{VERSION_ID}", INPUT, "a/b", None, None, None, "extra")
    assert fake.requests == []


@both_modes
@pytest.mark.parametrize("args, kwargs", [((TRAINING["id"],), {}), ((), {"training_id": TRAINING["id"]})])
async def test_get(mode: str, args: tuple, kwargs: dict) -> None:
    fake, client = api((200, TRAINING))
    training = await call(mode, client.trainings, "get", *args, **kwargs)
    assert_request(fake.request, "GET", TRAINING_PATH)
    assert training.model == "stability-ai/sdxl" and training.version == VERSION_ID


@both_modes
async def test_list(mode: str) -> None:
    fake, client = api((200, page([TRAINING], next="https://api.replicate.com/v1/trainings?cursor=c")))
    trainings = await call(mode, client.trainings, "list")
    assert_request(fake.request, "GET", "/v1/trainings")
    assert isinstance(trainings, Page) and trainings[0].id == TRAINING["id"]


@both_modes
async def test_cancel(mode: str) -> None:
    fake, client = api((200, {**TRAINING, "status": "canceled"}))
    training = await call(mode, client.trainings, "cancel", TRAINING["id"])
    assert_request(fake.request, "POST", f"{TRAINING_PATH}/cancel")
    assert training.status == "canceled"


@both_modes
async def test_reload_cancel_and_wait(mode: str) -> None:
    fake = FakeAPI().reply(json_body=TRAINING)
    fake.reply(json_body={**TRAINING, "status": "processing", "logs": "step 1"})
    fake.reply(json_body={**TRAINING, "status": "processing"})
    fake.reply(json_body={**TRAINING, "status": "succeeded", "output": {"version": "v", "weights": "w"}})
    fake.reply(json_body={**TRAINING, "status": "canceled"})
    client = fake.client()
    training: Any = await call(mode, client.trainings, "get", TRAINING["id"])
    assert await call(mode, training, "reload") is None
    assert training.logs == "step 1"
    assert await call(mode, training, "wait") is None
    assert training.output == {"version": "v", "weights": "w"}
    assert await call(mode, training, "cancel") is None
    assert training.status == "canceled"
    assert [(r.method, r.url.path) for r in fake.requests] == [
        ("GET", TRAINING_PATH), ("GET", TRAINING_PATH), ("GET", TRAINING_PATH), ("GET", TRAINING_PATH),
        ("POST", f"{TRAINING_PATH}/cancel"),
    ]


@both_modes
async def test_wait_raises_timeout_error(mode: str) -> None:
    fake = FakeAPI().reply(json_body=TRAINING)
    for _ in range(1000):
        fake.reply(json_body={**TRAINING, "status": "processing"})
    client = fake.client()
    training = await call(mode, client.trainings, "get", TRAINING["id"])
    with pytest.raises(TimeoutError):
        await call(mode, training, "wait", timeout=0.02)


@both_modes
async def test_a_missing_destination_is_reported_before_any_upload(mode: str) -> None:
    fake, client = api()
    with pytest.raises(ValueError, match="A destination must be provided"):
        await call(
            mode, client.trainings, "create", model="a/b", version=VERSION_ID, input={"data": io.BytesIO(b"x")}
        )
    assert fake.requests == []
