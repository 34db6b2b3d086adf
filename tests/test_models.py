"""Models: get/list/search/create/delete, model.reload, model.versions, models.predictions."""

from __future__ import annotations

from typing import Any

import pytest
from namespace_helpers import (
    MODEL,
    PREDICTION,
    VERSION_ID,
    api,
    assert_request,
    both_modes,
    call,
    page,
)

from replicate.exceptions import ReplicateException
from replicate.model import Model
from replicate.pagination import Page
from replicate.prediction import Prediction
from replicate.version import Version


def assert_model(model: Any, client: Any) -> None:
    assert isinstance(model, Model)
    with pytest.deprecated_call(match="model.owner"):  # as v0
        username = model.username
    assert (model.owner, model.name, model.id, username) == (
        "replicate", "hello-world", "replicate/hello-world", "replicate",
    )
    assert model.visibility == "public" and model.run_count == 5681081
    assert model.paper_url is None
    assert model.is_official is False  # an unknown field, kept
    assert isinstance(model.default_example, Prediction)
    assert model.default_example.output == "hello Alice"
    assert isinstance(model.latest_version, Version) and model.latest_version.id == VERSION_ID
    assert model._client is client
    assert model.default_example._client is client and model.latest_version._client is client


@both_modes
@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("replicate/hello-world",), {}),
        (("replicate", "hello-world"), {}),
        ((), {"key": "replicate/hello-world"}),
        ((), {"owner": "replicate", "name": "hello-world"}),
        ((), {"model_owner": "replicate", "model_name": "hello-world"}),
    ],
)
async def test_get(mode: str, args: tuple, kwargs: dict) -> None:
    fake, client = api((200, MODEL))
    model = await call(mode, client.models, "get", *args, **kwargs)
    assert_request(fake.request, "GET", "/v1/models/replicate/hello-world")
    assert_model(model, client)


@both_modes
@pytest.mark.parametrize(
    "args, kwargs, message",
    [
        # v0's messages, word for word
        ((), {}, "Both 'owner' and 'name' must be provided if 'key' is not specified."),
        ((), {"colour": "red"}, "Both 'owner' and 'name' must be provided if 'key' is not specified."),
        (("a", "b", "c"), {}, "Invalid number of arguments"),
        (("a/b",), {"name": "c"}, "Cannot mix positional and keyword arguments"),
        ((), {"key": "a/b", "owner": "a"}, "Must specify exactly one of 'owner' and 'name' or single 'key' in the format 'owner/name'"),
        # v0 sent these to the API as they were
        (("no-slash",), {}, "model must be a Model, an (owner, name) tuple or an 'owner/name' string, got 'no-slash'"),
        (("a/b:version",), {}, "model must be a Model, an (owner, name) tuple or an 'owner/name' string, got 'a/b:version'"),
    ],
)
async def test_get_rejects_bad_references(mode: str, args: tuple, kwargs: dict, message: str) -> None:
    fake, client = api()
    with pytest.raises(ValueError) as caught:
        await call(mode, client.models, "get", *args, **kwargs)
    assert str(caught.value) == message
    assert fake.requests == []


@both_modes
@pytest.mark.parametrize(
    "model, message",
    [
        ("a/b:v1", "Invalid reference to model version: a/b:v1. Expected model or reference in the format owner/name"),
        ("nonsense", "Invalid reference to model version: nonsense. Expected format: owner/name:version"),
        (42, "model must be a Model, a tuple of (owner, name), or a string in the format 'owner/name'"),
    ],
)
async def test_predictions_create_rejects_bad_models_with_v0s_messages(mode: str, model: Any, message: str) -> None:
    fake, client = api()
    with pytest.raises(ValueError) as caught:
        await call(mode, client.models.predictions, "create", model=model, input={})
    assert str(caught.value) == message
    assert fake.requests == []


def test_predict_raises_v0s_exception_and_message() -> None:
    from replicate.exceptions import ReplicateException

    with pytest.raises(ReplicateException) as caught:
        Model.model_validate(MODEL).predict("anything")
    assert str(caught.value) == (
        "The `model.predict()` method has been removed, because it's unstable: if a new version of the model "
        "you're using is pushed and its API has changed, your code may break. Use `replicate.run()` instead. "
        "See https://github.com/replicate/replicate-python#readme"
    )


@both_modes
async def test_list(mode: str) -> None:
    next_url = "https://api.replicate.com/v1/models?cursor=cD0yMDIz"
    fake, client = api((200, page([MODEL], next=next_url)), (200, page([MODEL])))
    models = await call(mode, client.models, "list")
    assert_request(fake.requests[0], "GET", "/v1/models")
    assert isinstance(models, Page) and models.next == next_url and models.previous is None
    assert_model(models[0], client)
    await call(mode, client.models, "list", models.next)
    assert_request(fake.requests[1], "GET", "/v1/models", query={"cursor": "cD0yMDIz"})


@both_modes
async def test_list_sorted(mode: str) -> None:
    fake, client = api((200, page([])))
    await call(mode, client.models, "list", sort_by="latest_version_created_at", sort_direction="asc")
    assert_request(
        fake.request,
        "GET",
        "/v1/models",
        query={"sort_by": "latest_version_created_at", "sort_direction": "asc"},
    )


@both_modes
async def test_search_sends_query_with_a_text_body(mode: str) -> None:
    fake, client = api((200, page([MODEL])))
    models = await call(mode, client.models, "search", "hello")
    assert_request(
        fake.request, "QUERY", "/v1/models", content=b"hello", headers={"content-type": "text/plain"}
    )
    assert_model(models[0], client)
    with pytest.raises(ValueError, match="query"):
        await call(mode, client.models, "search", "  ")


@both_modes
async def test_create(mode: str) -> None:
    created = {**MODEL, "visibility": "private", "default_example": None, "latest_version": None}
    fake, client = api((201, created))
    model = await call(
        mode,
        client.models,
        "create",
        "replicate",
        "hello-world",
        visibility="private",
        hardware="cpu",
        description="An example model",
    )
    assert_request(
        fake.request,
        "POST",
        "/v1/models",
        json_body={
            "owner": "replicate",
            "name": "hello-world",
            "visibility": "private",
            "hardware": "cpu",
            "description": "An example model",
        },
    )
    assert model.visibility == "private" and model.latest_version is None


@both_modes
@pytest.mark.parametrize("args", [("replicate/hello-world",), ("replicate", "hello-world")])
async def test_delete_returns_true_on_204(mode: str, args: tuple) -> None:
    fake, client = api((204, None))
    assert await call(mode, client.models, "delete", *args) is True
    assert_request(fake.request, "DELETE", "/v1/models/replicate/hello-world")


@both_modes
async def test_reload_refreshes_every_field(mode: str) -> None:
    fake, client = api((200, MODEL), (200, {**MODEL, "run_count": 7, "extra": "new"}))
    model = await call(mode, client.models, "get", "replicate/hello-world")
    assert await call(mode, model, "reload") is None
    assert_request(fake.requests[1], "GET", "/v1/models/replicate/hello-world")
    assert model.run_count == 7 and model.extra == "new"


@both_modes
async def test_model_versions_namespace(mode: str) -> None:
    fake, client = api((200, MODEL), (200, page([MODEL["latest_version"]])))
    model = await call(mode, client.models, "get", "replicate/hello-world")
    versions = await call(mode, model.versions, "list")
    assert_request(fake.requests[1], "GET", "/v1/models/replicate/hello-world/versions")
    assert versions[0].id == VERSION_ID


@both_modes
@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("replicate/hello-world", {"text": "Alice"}), {}),
        ((("replicate", "hello-world"),), {"input": {"text": "Alice"}}),
        ((), {"model": "replicate/hello-world", "input": {"text": "Alice"}}),
        ((), {"model_owner": "replicate", "model_name": "hello-world", "input": {"text": "Alice"}}),
    ],
)
async def test_models_predictions_create(mode: str, args: tuple, kwargs: dict) -> None:
    fake, client = api((201, {**PREDICTION, "version": "hidden"}))
    prediction = await call(mode, client.models.predictions, "create", *args, **kwargs)
    assert_request(
        fake.request,
        "POST",
        "/v1/models/replicate/hello-world/predictions",
        json_body={"input": {"text": "Alice"}},
        absent_headers=["prefer", "cancel-after"],
    )
    assert isinstance(prediction, Prediction) and prediction.version == "hidden"


@both_modes
async def test_models_predictions_create_with_every_option(mode: str) -> None:
    fake, client = api((201, PREDICTION))
    model = Model.model_validate(MODEL)
    await call(
        mode,
        client.models.predictions,
        "create",
        model,
        {"text": "Alice"},
        webhook="https://example.com/hook",
        webhook_completed="https://example.com/done",
        webhook_events_filter=["start", "completed"],
        stream=True,
        wait=10,
        cancel_after="5m",
    )
    assert_request(
        fake.request,
        "POST",
        "/v1/models/replicate/hello-world/predictions",
        json_body={
            "input": {"text": "Alice"},
            "webhook": "https://example.com/hook",
            "webhook_completed": "https://example.com/done",
            "webhook_events_filter": ["start", "completed"],
            "stream": True,
        },
        headers={"prefer": "wait=10", "cancel-after": "5m"},
    )


def test_predict_is_removed_as_in_v0() -> None:
    with pytest.raises(ReplicateException, match="removed"):
        Model.model_validate(MODEL).predict(text="Alice")
