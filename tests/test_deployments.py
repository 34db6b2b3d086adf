"""Deployments: get/list/create/update/delete, and predictions on a deployment both ways."""

from __future__ import annotations

from typing import Any

import pytest
from namespace_helpers import DEPLOYMENT, PREDICTION, api, assert_request, both_modes, call, page

from replicate.account import Account
from replicate.deployment import Deployment
from replicate.pagination import Page
from replicate.prediction import Prediction


def assert_deployment(deployment: Any) -> None:
    assert isinstance(deployment, Deployment)
    assert (deployment.owner, deployment.name, deployment.id) == ("acme", "image-upscaler", "acme/image-upscaler")
    with pytest.deprecated_call(match="deployment.owner"):  # as v0
        assert deployment.username == "acme"
    release = deployment.current_release
    assert release is not None
    assert (release.number, release.model, release.version) == (1, "acme/esrgan", PREDICTION["version"])
    assert isinstance(release.created_by, Account) and release.created_by.username == "acme"
    assert (release.configuration.hardware, release.configuration.min_instances) == ("gpu-t4", 1)
    assert release.configuration.max_instances == 5


@both_modes
@pytest.mark.parametrize(
    "args, kwargs",
    [
        (("acme/image-upscaler",), {}),
        ((), {"name": "acme/image-upscaler"}),
        ((), {"deployment_owner": "acme", "deployment_name": "image-upscaler"}),
    ],
)
async def test_get(mode: str, args: tuple, kwargs: dict) -> None:
    fake, client = api((200, DEPLOYMENT))
    deployment = await call(mode, client.deployments, "get", *args, **kwargs)
    assert_request(fake.request, "GET", "/v1/deployments/acme/image-upscaler")
    assert_deployment(deployment)
    assert deployment._client is client


@both_modes
@pytest.mark.parametrize("name", ["acme", "a/b/c", "", None])
async def test_get_rejects_a_malformed_name(mode: str, name: Any) -> None:
    fake, client = api()
    with pytest.raises(ValueError, match="deployment"):
        await call(mode, client.deployments, "get", name)
    assert fake.requests == []


@both_modes
async def test_list(mode: str) -> None:
    fake, client = api((200, page([DEPLOYMENT])))
    deployments = await call(mode, client.deployments, "list")
    assert_request(fake.request, "GET", "/v1/deployments")
    assert isinstance(deployments, Page)
    assert_deployment(deployments[0])


@both_modes
async def test_create(mode: str) -> None:
    fake, client = api((201, DEPLOYMENT))
    params = {
        "name": "image-upscaler",
        "model": "acme/esrgan",
        "version": PREDICTION["version"],
        "hardware": "gpu-t4",
        "min_instances": 1,
        "max_instances": 5,
    }
    deployment = await call(mode, client.deployments, "create", **params)
    assert_request(fake.request, "POST", "/v1/deployments", json_body=params)
    assert_deployment(deployment)


@both_modes
async def test_update(mode: str) -> None:
    fake, client = api((200, DEPLOYMENT))
    deployment = await call(
        mode, client.deployments, "update", "acme", "image-upscaler", min_instances=1, max_instances=5
    )
    assert_request(
        fake.request,
        "PATCH",
        "/v1/deployments/acme/image-upscaler",
        json_body={"min_instances": 1, "max_instances": 5},
    )
    assert_deployment(deployment)


@both_modes
async def test_update_by_keyword(mode: str) -> None:
    fake, client = api((200, DEPLOYMENT))
    await call(
        mode, client.deployments, "update", deployment_owner="acme", deployment_name="image-upscaler", hardware="cpu"
    )
    assert_request(fake.request, "PATCH", "/v1/deployments/acme/image-upscaler", json_body={"hardware": "cpu"})


@both_modes
async def test_delete_returns_true_on_204(mode: str) -> None:
    fake, client = api((204, None))
    assert await call(mode, client.deployments, "delete", "acme", "image-upscaler") is True
    assert_request(fake.request, "DELETE", "/v1/deployments/acme/image-upscaler")


@both_modes
@pytest.mark.parametrize(
    "deployment", ["acme/image-upscaler", ("acme", "image-upscaler"), Deployment.model_validate(DEPLOYMENT)]
)
async def test_deployments_predictions_create(mode: str, deployment: Any) -> None:
    fake, client = api((201, PREDICTION))
    prediction = await call(
        mode,
        client.deployments.predictions,
        "create",
        deployment,
        {"text": "Alice"},
        webhook="https://example.com/hook",
        webhook_events_filter=["completed"],
    )
    assert_request(
        fake.request,
        "POST",
        "/v1/deployments/acme/image-upscaler/predictions",
        json_body={
            "input": {"text": "Alice"},
            "webhook": "https://example.com/hook",
            "webhook_events_filter": ["completed"],
        },
    )
    assert isinstance(prediction, Prediction) and prediction._client is client


@both_modes
async def test_deployments_predictions_create_by_keyword(mode: str) -> None:
    fake, client = api((201, PREDICTION))
    await call(
        mode,
        client.deployments.predictions,
        "create",
        deployment_owner="acme",
        deployment_name="image-upscaler",
        input={"text": "Alice"},
        wait=True,
    )
    assert_request(
        fake.request,
        "POST",
        "/v1/deployments/acme/image-upscaler/predictions",
        json_body={"input": {"text": "Alice"}},
        headers={"prefer": "wait"},
    )


@both_modes
async def test_deployment_predictions_create_on_a_fetched_deployment(mode: str) -> None:
    fake, client = api((200, DEPLOYMENT), (201, PREDICTION))
    deployment = await call(mode, client.deployments, "get", "acme/image-upscaler")
    prediction = await call(mode, deployment.predictions, "create", {"text": "Alice"}, wait=5)
    assert_request(
        fake.requests[1],
        "POST",
        "/v1/deployments/acme/image-upscaler/predictions",
        json_body={"input": {"text": "Alice"}},
        headers={"prefer": "wait=5"},
    )
    assert prediction.id == PREDICTION["id"]


def test_predictions_of_an_unfetched_deployment_need_a_client() -> None:
    with pytest.raises(ValueError, match="not fetched through a client"):
        Deployment.model_validate(DEPLOYMENT).predictions  # noqa: B018
