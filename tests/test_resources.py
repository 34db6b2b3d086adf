"""Resources: v0's fields in v0's order, unknown fields kept, and every way of dumping them."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Type

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
    api,
)

from replicate.account import Account
from replicate.collection import Collection
from replicate.deployment import Deployment
from replicate.file import File
from replicate.hardware import Hardware
from replicate.model import Model
from replicate.prediction import Prediction
from replicate.resource import Resource
from replicate.training import Training
from replicate.version import Version
from replicate.webhook import WebhookSigningSecret

pytestmark = pytest.mark.filterwarnings("error::DeprecationWarning")

V0_FIELDS: Dict[Type[Resource], List[str]] = {
    Account: ["type", "username", "name", "github_url"],
    Collection: ["slug", "name", "description", "models"],
    Deployment: ["owner", "name", "current_release"],
    Deployment.Release: ["number", "model", "version", "created_at", "created_by", "configuration"],
    Deployment.Release.Configuration: ["hardware", "min_instances", "max_instances"],
    File: ["id", "name", "content_type", "size", "etag", "checksums", "metadata", "created_at", "expires_at", "urls"],
    Hardware: ["sku", "name"],
    Model: [
        "url", "owner", "name", "description", "visibility", "github_url", "paper_url", "license_url",
        "run_count", "cover_image_url", "default_example", "latest_version",
    ],
    Prediction: [
        "id", "model", "version", "status", "input", "output", "logs", "error", "metrics",
        "created_at", "started_at", "completed_at", "urls",
    ],
    Training: [
        "id", "model", "version", "destination", "status", "input", "output", "logs", "error",
        "created_at", "started_at", "completed_at", "urls",
    ],
    Version: ["id", "created_at", "cog_version", "openapi_schema"],
    WebhookSigningSecret: ["key"],
}

SAMPLES: List[Any] = [
    (Account, ACCOUNT),
    (Deployment, DEPLOYMENT),
    (File, FILE),
    (Hardware, HARDWARE[0]),
    (Model, MODEL),
    (Prediction, PREDICTION),
    (Training, TRAINING),
    (Version, VERSION),
    (WebhookSigningSecret, {"key": "whsec_abc"}),
]


@pytest.mark.parametrize("cls", list(V0_FIELDS), ids=lambda cls: cls.__qualname__)
def test_fields_are_v0s_in_v0s_order(cls: Type[Resource]) -> None:
    assert list(cls.model_fields) == V0_FIELDS[cls]


@pytest.mark.parametrize("cls, data", SAMPLES, ids=lambda value: getattr(value, "__name__", ""))
def test_every_way_of_dumping_works_without_deprecation_warnings(cls: Type[Resource], data: dict) -> None:
    resource = cls.model_validate({**data, "brand_new_field": {"x": 1}})
    dumped = resource.model_dump()
    assert dumped["brand_new_field"] == {"x": 1}
    assert resource.dict() == dumped
    assert dict(resource) == {key: getattr(resource, key) for key in dumped}
    assert json.loads(resource.json()) == json.loads(resource.model_dump_json())
    assert resource.dict(exclude={"brand_new_field"}) == {k: v for k, v in dumped.items() if k != "brand_new_field"}
    assert cls.model_validate(json.loads(resource.json())) == resource


def test_collection_dumps_but_iterates_over_its_models_as_in_v0() -> None:
    collection = Collection.model_validate(COLLECTION)
    assert collection.dict()["slug"] == "super-resolution"
    assert json.loads(collection.json())["models"][0]["owner"] == "replicate"
    assert [model.name for model in collection] == ["hello-world", "hello-world-2"]


@pytest.mark.parametrize("cls", [Prediction, Training])
@pytest.mark.parametrize("status", ["starting", "processing", "succeeded", "failed", "canceled", "aborted"])
def test_every_status_is_accepted(cls: Type[Resource], status: str) -> None:
    data = PREDICTION if cls is Prediction else TRAINING
    assert cls.model_validate({**data, "status": status}).status == status  # type: ignore[attr-defined]


def test_an_unknown_status_is_kept_as_sent() -> None:
    # A status added to the API later must not make the answer unreadable.
    assert Prediction.model_validate({**PREDICTION, "status": "queued"}).status == "queued"
    with pytest.raises(ValueError):
        Prediction.model_validate({**PREDICTION, "status": 7})


def test_official_models_report_a_hidden_version() -> None:
    assert Prediction.model_validate({**PREDICTION, "version": "hidden"}).version == "hidden"


def test_training_version_may_be_a_version_object() -> None:
    training = Training.model_validate({**TRAINING, "version": VERSION})
    assert isinstance(training.version, Version) and training.version.id == VERSION["id"]


def test_optional_fields_default_to_none() -> None:
    prediction = Prediction.model_validate({"id": "p", "model": "a/b", "version": "v", "status": "starting"})
    assert (prediction.input, prediction.output, prediction.urls, prediction.metrics) == (None, None, None, None)
    model = Model.model_validate({"url": "u", "owner": "a", "name": "b", "visibility": "private", "run_count": 0})
    assert (model.default_example, model.latest_version, model.description) == (None, None, None)


def test_nested_resources_hold_the_client_that_fetched_them() -> None:
    _, client = api((200, MODEL), (200, COLLECTION), (200, DEPLOYMENT))
    model = client.models.get("replicate/hello-world")
    assert model.default_example is not None and model.default_example._client is client
    assert model.latest_version is not None and model.latest_version._client is client
    collection = client.collections.get("super-resolution")
    assert all(each._client is client for each in collection)
    deployment = client.deployments.get("acme/image-upscaler")
    assert deployment.current_release is not None and deployment.current_release._client is client


def test_a_resource_built_by_hand_has_no_client() -> None:
    assert Prediction.model_validate(PREDICTION)._client is None


def test_model_username_is_a_writable_alias_of_owner() -> None:
    model = Model.model_validate(MODEL)
    with pytest.deprecated_call(match="model.owner"):  # as v0
        model.username = "someone"
    assert model.owner == "someone"
