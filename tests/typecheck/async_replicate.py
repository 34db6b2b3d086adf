"""Type-checked by `make lint` (mypy --strict and pyright), never run: every namespace method
of AsyncReplicate types as what awaiting it gives, and `async for` yields typed items."""

from __future__ import annotations

from typing import Any, AsyncIterator, List, Union

import httpx
from typing_extensions import assert_type

from replicate import AsyncReplicate
from replicate._async_namespaces import AsyncPredictions
from replicate.account import Account
from replicate.collection import Collection
from replicate.deployment import Deployment
from replicate.file import File
from replicate.hardware import Hardware
from replicate.helpers import JSONValue
from replicate.model import Model
from replicate.pagination import AsyncCursorURLPage
from replicate.prediction import Prediction
from replicate.search import SearchResponse
from replicate.stream import ServerSentEvent
from replicate.training import Training
from replicate.use import AsyncFunction, OutputIterator
from replicate.version import Version
from replicate.webhook import WebhookSigningSecret

owner_name = {"model_owner": "o", "model_name": "n"}


async def namespaces(client: AsyncReplicate) -> None:
    assert_type(await client.account.get(), Account)
    assert_type(await client.accounts.current(), Account)

    assert_type(await client.collections.get(collection_slug="s"), Collection)
    assert_type(await client.collections.list(), AsyncCursorURLPage[Collection])

    assert_type(await client.deployments.get(deployment_owner="o", deployment_name="d"), Deployment)
    assert_type(await client.deployments.list(), AsyncCursorURLPage[Deployment])
    assert_type(
        await client.deployments.create(
            name="d", model="o/n", version="v", hardware="cpu", min_instances=0, max_instances=1
        ),
        Deployment,
    )
    assert_type(await client.deployments.update("o", "d", min_instances=1), Deployment)
    assert_type(await client.deployments.delete("o", "d"), bool)
    assert_type(await client.deployments.predictions.create("o/d", input={}), Prediction)

    assert_type(await client.files.create(content=b"x"), File)
    assert_type(await client.files.get("f"), File)
    assert_type(await client.files.list(), AsyncCursorURLPage[File])
    assert_type(await client.files.download("f", owner="o", expiry=1, signature="s"), httpx.Response)
    assert_type(await client.files.delete("f"), bool)

    assert_type(await client.hardware.list(), List[Hardware])

    assert_type(await client.models.get("o/n"), Model)
    assert_type(await client.models.list(), AsyncCursorURLPage[Model])
    assert_type(await client.models.search("q"), AsyncCursorURLPage[Model])
    assert_type(await client.models.create("o", "n", hardware="cpu", visibility="public"), Model)
    assert_type(await client.models.update("o/n", description="d"), Model)
    assert_type(await client.models.delete("o/n"), bool)
    assert_type(await client.models.predictions.create("o/n", input={}), Prediction)
    assert_type(await client.models.versions.get("o", "n", "v"), Version)
    assert_type(await client.models.versions.list("o", "n"), AsyncCursorURLPage[Version])
    assert_type(await client.models.versions.delete("o", "n", "v"), bool)
    assert_type(await client.models.readme.get(**owner_name), str)
    assert_type(await client.models.examples.list(**owner_name), AsyncCursorURLPage[Prediction])

    assert_type(await client.predictions.create(version="v", input={}), Prediction)
    assert_type(await client.predictions.get(prediction_id="p"), Prediction)
    assert_type(await client.predictions.list(), AsyncCursorURLPage[Prediction])
    assert_type(await client.predictions.cancel("p"), Prediction)
    assert_type(await client.predictions.wait("p", timeout=5), Prediction)
    assert_type(client.predictions.with_raw_response, AsyncPredictions)

    assert_type(await client.trainings.create(model="o/n", version="v", input={}, destination="o/m"), Training)
    assert_type(await client.trainings.get("t"), Training)
    assert_type(await client.trainings.list(), AsyncCursorURLPage[Training])
    assert_type(await client.trainings.cancel("t"), Training)

    assert_type(await client.webhooks.default.secret.get(), WebhookSigningSecret)
    assert_type(await client.webhooks.default.secret(), WebhookSigningSecret)
    assert_type(client.webhooks.validate(headers={}, body="", secret=None), None)

    assert_type(await client.search("q"), SearchResponse)
    assert_type(await client.get("/predictions"), httpx.Response)


async def items(client: AsyncReplicate) -> None:
    async for prediction in client.predictions.list():
        assert_type(prediction, Prediction)
    async for model in client.models.search("q"):
        assert_type(model, Model)
    async for hardware in client.hardware.list():
        assert_type(hardware, Hardware)
    async for event in client.stream("o/n", input={}):
        assert_type(event, ServerSentEvent)


async def run_and_use(client: AsyncReplicate) -> None:
    assert_type(await client.run("o/n", input={}), Any)
    no_files = await client.run("o/n", input={}, use_file_output=False)
    assert_type(no_files, Union[JSONValue, AsyncIterator[JSONValue]])

    assert_type(client.use("o/n"), AsyncFunction[..., Any])
    assert_type(client.use("o/n", streaming=True), AsyncFunction[..., OutputIterator[Any]])
    tokens = await client.use("o/n", streaming=True)(prompt="hi")
    async for token in tokens:
        assert_type(token, Any)
