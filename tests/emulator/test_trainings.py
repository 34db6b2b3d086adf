"""Trainings produce new versions of the destination model."""

from __future__ import annotations

import uuid

import httpx

from replicate.emulator import Emulator

from .conftest import wait_for_status


def test_training_creates_a_runnable_version(client: httpx.Client, emu: Emulator) -> None:
    destination = f"emulator/tuned-{uuid.uuid4().hex[:6]}"
    client.post(
        "/v1/models",
        json={
            "owner": "emulator",
            "name": destination.split("/")[1],
            "visibility": "private",
            "hardware": "cpu",
        },
    )
    base = emu.state.models["replicate/hello-world"].latest_version.id
    training = client.post(
        f"/v1/models/replicate/hello-world/versions/{base}/trainings",
        json={"destination": destination, "input": {"steps": 10}},
    ).json()
    assert training["model"] == "replicate/hello-world" and training["version"] == base
    assert training["destination"] == destination
    final = wait_for_status(client, training["id"], "succeeded", kind="trainings")
    assert "100%|" in final["logs"]
    assert final["metrics"]["predict_time"] > 0
    ref = final["output"]["version"]
    model_name, _, version_id = ref.partition(":")
    assert model_name == destination
    weights = httpx.get(final["output"]["weights"])
    assert weights.status_code == 200 and b"emulated weights" in weights.content

    model = client.get(f"/v1/models/{destination}").json()
    assert model["latest_version"]["id"] == version_id
    versions = client.get(f"/v1/models/{destination}/versions").json()["results"]
    assert [v["id"] for v in versions] == [version_id]
    prediction = client.post(
        "/v1/predictions",
        json={"version": ref, "input": {"text": "tuned"}},
        headers={"Prefer": "wait"},
    ).json()
    assert prediction["output"] == "hello tuned"


def test_training_of_unknown_version_is_404(client: httpx.Client) -> None:
    response = client.post(
        f"/v1/models/replicate/hello-world/versions/{'0' * 64}/trainings",
        json={"destination": "replicate/hello-world", "input": {}},
    )
    assert response.status_code == 404


def test_cancel_training_keeps_versions_unchanged(client: httpx.Client, emu: Emulator) -> None:
    destination = f"emulator/untouched-{uuid.uuid4().hex[:6]}"
    emu.add_model(destination)
    base = emu.state.models["replicate/hello-world"].latest_version.id
    training = client.post(
        f"/v1/models/replicate/hello-world/versions/{base}/trainings",
        json={"destination": destination, "input": {}},
    ).json()
    canceled = client.post(f"/v1/trainings/{training['id']}/cancel").json()
    assert canceled["status"] == "canceled"
    assert client.get(f"/v1/models/{destination}").json()["latest_version"] is None
