"""Namespaces are stable objects, so patching one (mock.patch, OpenTelemetry's wrapt) sticks.

The package's own calls (run, stream, reload, uploads) still go through namespaces of their
own, as v0's did: a patch of `replicate.predictions.create` sees exactly the calls it saw
under replicate 1.0.7, and tracing tools count each prediction once.
"""

from __future__ import annotations

import asyncio
import unittest.mock
from typing import Any, Iterator

import pytest

import replicate
from replicate.client import Client
from replicate.prediction import Prediction
from tests.namespace_helpers import PREDICTION, FakeAPI

NAMESPACES = (
    "accounts",
    "account",
    "collections",
    "deployments",
    "files",
    "hardware",
    "models",
    "predictions",
    "trainings",
    "webhooks",
)
NESTED = (
    ("models", "predictions"),
    ("models", "versions"),
    ("models", "readme"),
    ("models", "examples"),
    ("deployments", "predictions"),
    ("webhooks", "default"),
)
SUCCEEDED = {**PREDICTION, "status": "succeeded", "output": "hello Alice"}


@pytest.fixture
def fake_default_client(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeAPI]:
    """`replicate.default_client` sends to a FakeAPI for the test."""
    fake = FakeAPI()
    monkeypatch.setattr(replicate, "default_client", fake.client())
    yield fake


@pytest.mark.parametrize("client_class", [Client, replicate.Replicate])
def test_every_namespace_of_a_client_is_one_object(client_class: Any) -> None:
    client = client_class(api_token="t")
    for name in NAMESPACES:
        assert getattr(client, name) is getattr(client, name), name
    for parent, child in NESTED:
        namespace = getattr(client, parent)
        assert getattr(namespace, child) is getattr(namespace, child), f"{parent}.{child}"
        assert getattr(namespace, child)._client is client


def test_module_namespaces_are_the_default_clients(fake_default_client: FakeAPI) -> None:
    for name in ("collections", "deployments", "files", "hardware", "models", "predictions", "trainings", "webhooks"):
        assert getattr(replicate, name) is getattr(replicate, name), name
        assert getattr(replicate, name) is getattr(replicate.default_client, name), name
    assert replicate.models.versions is replicate.models.versions


def test_mock_patch_of_module_namespace_method_is_what_runs(fake_default_client: FakeAPI) -> None:
    with unittest.mock.patch("replicate.predictions.create") as create:
        create.return_value = "patched"
        assert replicate.predictions.create(version="v1", input={"text": "Alice"}) == "patched"
    create.assert_called_once_with(version="v1", input={"text": "Alice"})
    assert fake_default_client.requests == []
    # Unpatched again: the real method sends the request.
    fake_default_client.reply(201, PREDICTION)
    assert replicate.predictions.create(version="v1", input={}).id == PREDICTION["id"]
    assert len(fake_default_client.requests) == 1


def test_patch_of_predictions_create_does_not_see_run_as_in_v0(fake_default_client: FakeAPI) -> None:
    # v0's run() creates its prediction on a new namespace object, so tracing tools that wrap
    # both `run` and `predictions.create` count one call; so must we.
    fake_default_client.reply(201, SUCCEEDED)
    with unittest.mock.patch("replicate.predictions.create") as create:
        assert replicate.run("replicate/hello-world", input={"text": "Alice"}) == "hello Alice"
    with unittest.mock.patch("replicate.models.predictions.create") as create_on_model:
        fake_default_client.reply(201, SUCCEEDED)
        assert replicate.run("replicate/hello-world", input={"text": "Alice"}) == "hello Alice"
    create.assert_not_called()
    create_on_model.assert_not_called()
    assert [request.url.path for request in fake_default_client.requests] == [
        "/v1/models/replicate/hello-world/predictions"
    ] * 2


def test_patch_of_a_clients_namespace_does_not_see_resource_methods() -> None:
    fake = FakeAPI().reply(200, SUCCEEDED).reply(200, SUCCEEDED)
    client = fake.client()
    prediction = Prediction.model_validate(PREDICTION, context={"client": client})
    with unittest.mock.patch.object(client.predictions, "get") as get:
        prediction.reload()
        asyncio.run(prediction.async_reload())
    get.assert_not_called()
    assert prediction.status == "succeeded"
    assert [request.url.path for request in fake.requests] == [f"/v1/predictions/{PREDICTION['id']}"] * 2


def test_patch_of_files_create_does_not_see_uploads(tmp_path: Any) -> None:
    path = tmp_path / "in.txt"
    path.write_text("hi")
    uploaded = {"id": "f1", "name": "in.txt", "content_type": "text/plain", "size": 2, "etag": "e",
                "checksums": {}, "metadata": {}, "created_at": "2024-01-01T00:00:00Z",
                "expires_at": None, "urls": {"get": "https://api.replicate.com/v1/files/f1"}}
    fake = FakeAPI().reply(201, uploaded).reply(201, PREDICTION)
    client = fake.client()
    with unittest.mock.patch.object(client.files, "create") as create:
        client.predictions.create(version="v1", input={"file": path})
    create.assert_not_called()
    assert [request.url.path for request in fake.requests] == ["/v1/files", "/v1/predictions"]


def test_raw_response_view_of_a_namespace_keeps_nested_namespaces_raw() -> None:
    fake = FakeAPI().reply(201, PREDICTION)
    client = fake.client()
    assert client.models.predictions is client.models.predictions  # cached on the plain namespace
    raw = client.models.with_raw_response.predictions.create("replicate/hello-world", input={})
    assert raw.status_code == 201 and raw.parse().id == PREDICTION["id"]
    assert client.models.predictions._client is client


def test_wrapt_wrapper_on_module_namespace_takes_effect(fake_default_client: FakeAPI) -> None:
    # What opentelemetry-instrumentation-replicate does.
    wrapt = pytest.importorskip("wrapt")
    calls = []

    def wrapper(wrapped: Any, instance: Any, args: Any, kwargs: Any) -> Any:
        calls.append(kwargs.get("version"))
        return wrapped(*args, **kwargs)

    namespace = replicate.predictions
    wrapt.wrap_function_wrapper("replicate", "predictions.create", wrapper)
    try:
        fake_default_client.reply(201, PREDICTION).reply(201, SUCCEEDED)
        replicate.predictions.create(version="v1", input={})
        replicate.run("replicate/hello-world", input={})
    finally:
        del namespace.create
    assert calls == ["v1"]
    assert len(fake_default_client.requests) == 2


def test_async_replicate_namespaces_are_stable_views() -> None:
    client = replicate.AsyncReplicate(bearer_token="t")
    for name in NAMESPACES:
        assert getattr(client, name) is getattr(client, name), name
    for parent, child in NESTED:
        namespace = getattr(client, parent)
        assert getattr(namespace, child) is getattr(namespace, child), f"{parent}.{child}"


def test_a_copied_client_has_namespaces_of_its_own() -> None:
    import copy

    client = Client(api_token="t")
    assert client.predictions._client is client
    clone = copy.copy(client)
    assert clone.predictions._client is clone and clone.predictions is not client.predictions
    assert clone.models.versions._client is clone
