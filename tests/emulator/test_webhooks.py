"""Webhook deliveries: Standard Webhooks signatures, event filters, throttling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Iterator

import httpx
import pytest
from webhook_receiver import Receiver

from replicate.emulator import Emulator


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


def verify(secret: str, headers: dict, body: bytes, tolerance: float = 300) -> bool:
    """Standard Webhooks verification, written independently of the emulator."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    if abs(time.time() - int(headers["webhook-timestamp"])) > tolerance:
        return False
    return any(
        hmac.compare_digest(expected, candidate.split(",", 1)[1])
        for candidate in headers["webhook-signature"].split()
        if candidate.startswith("v1,")
    )


def create(client: httpx.Client, model: str, inputs: dict, **extra) -> dict:
    response = client.post(f"/v1/models/{model}/predictions", json={"input": inputs, **extra})
    assert response.status_code == 201
    return response.json()


def test_completed_webhook_is_signed(
    client: httpx.Client, emu: Emulator, receiver: Receiver
) -> None:
    secret = client.get("/v1/webhooks/default/secret").json()["key"]
    prediction = create(
        client,
        "replicate/hello-world",
        {"text": "hook"},
        webhook=receiver.url,
        webhook_events_filter=["completed"],
    )
    deliveries = [
        d for d in emu.wait_for_webhooks(1, event="completed") if d.job_id == prediction["id"]
    ]
    assert deliveries and deliveries[0].status_code == 200
    headers, body = receiver.received[-1]
    assert verify(secret, headers, body)
    assert not verify(
        secret, {**headers, "webhook-timestamp": str(int(headers["webhook-timestamp"]) + 1)}, body
    )
    payload = json.loads(body)
    assert payload["id"] == prediction["id"]
    assert payload["status"] == "succeeded" and payload["output"] == "hello hook"
    assert headers["content-type"] == "application/json"


def test_default_filter_sends_start_output_logs_completed(
    make_emulator, receiver: Receiver
) -> None:
    emu = make_emulator(webhook_throttle=0.0)
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer r8_test"}) as http:
        create(
            http, "replicate/llm-streamer", {"max_tokens": 3, "delay": 0.05}, webhook=receiver.url
        )
    deliveries = emu.wait_for_webhooks(1, event="completed")
    events = [d.event for d in emu.webhook_deliveries]
    assert events[0] == "start" and events[-1] == "completed"
    assert {"output", "logs"} <= set(events)
    assert [json.loads(body)["status"] for _, body in receiver.received][-1] == "succeeded"
    assert deliveries[-1].json()["output"] == ["Once", " upon", " a"]


def test_filter_start_and_completed_only(
    client: httpx.Client, emu: Emulator, receiver: Receiver
) -> None:
    prediction = create(
        client,
        "replicate/llm-streamer",
        {"max_tokens": 5, "delay": 0.01},
        webhook=receiver.url,
        webhook_events_filter=["start", "completed"],
    )
    emu.webhooks.wait_for(
        lambda ds: any(d.job_id == prediction["id"] and d.event == "completed" for d in ds), 5
    )
    events = [d.event for d in emu.webhook_deliveries if d.job_id == prediction["id"]]
    assert events == ["start", "completed"]
    start_body = json.loads(receiver.received[0][1])
    assert start_body["status"] == "processing"


def test_output_webhooks_are_throttled(
    client: httpx.Client, emu: Emulator, receiver: Receiver
) -> None:
    prediction = create(
        client,
        "replicate/llm-streamer",
        {"max_tokens": 60, "delay": 0.02},
        webhook=receiver.url,
        webhook_events_filter=["output", "completed"],
    )
    emu.webhooks.wait_for(
        lambda ds: any(d.job_id == prediction["id"] and d.event == "completed" for d in ds), 10
    )
    mine = [d for d in emu.webhook_deliveries if d.job_id == prediction["id"]]
    outputs = [d for d in mine if d.event == "output"]
    assert mine[-1].event == "completed"
    running = mine[-1].json()["metrics"]["predict_time"]
    assert 1 <= len(outputs) <= running / 0.5 + 2  # at most one delivery per 500 ms
    gaps = [b.sent_at - a.sent_at for a, b in zip(outputs, outputs[1:])]
    assert all(gap >= 0.45 for gap in gaps)
    assert len(mine[-1].json()["output"]) == 60


def test_failed_receiver_is_retried_and_recorded(client: httpx.Client, emu: Emulator) -> None:
    failing = Receiver(status=500)
    try:
        prediction = create(
            client,
            "replicate/hello-world",
            {"text": "x"},
            webhook=failing.url,
            webhook_events_filter=["completed"],
        )
        emu.webhooks.wait_for(lambda ds: any(d.job_id == prediction["id"] for d in ds), 5)
        record = next(d for d in emu.webhook_deliveries if d.job_id == prediction["id"])
        assert record.status_code == 500 and record.attempts == 3
        assert len(failing.received) == 3
        assert (
            len({h["webhook-id"] for h, _ in failing.received}) == 1
        )  # retries keep the message id
    finally:
        failing.close()


def test_unreachable_webhook_does_not_break_the_prediction(
    client: httpx.Client, emu: Emulator
) -> None:
    prediction = create(
        client,
        "replicate/hello-world",
        {"text": "x"},
        webhook="http://127.0.0.1:9/hook",
        webhook_events_filter=["completed"],
    )
    emu.webhooks.wait_for(lambda ds: any(d.job_id == prediction["id"] for d in ds), 5)
    record = next(d for d in emu.webhook_deliveries if d.job_id == prediction["id"])
    assert record.status_code is None and "ConnectError" in record.error
    assert client.get(f"/v1/predictions/{prediction['id']}").json()["status"] == "succeeded"


def test_invalid_events_filter_is_422(client: httpx.Client) -> None:
    response = client.post(
        "/v1/models/replicate/hello-world/predictions",
        json={
            "input": {"text": "x"},
            "webhook": "http://127.0.0.1:9",
            "webhook_events_filter": ["bogus"],
        },
    )
    assert response.status_code == 422


def test_training_webhook(client: httpx.Client, emu: Emulator, receiver: Receiver) -> None:
    destination = f"emulator/hooked-{uuid.uuid4().hex[:6]}"
    emu.add_model(destination)
    version = emu.state.models["replicate/hello-world"].latest_version.id
    training = client.post(
        f"/v1/models/replicate/hello-world/versions/{version}/trainings",
        json={
            "destination": destination,
            "input": {},
            "webhook": receiver.url,
            "webhook_events_filter": ["completed"],
        },
    ).json()
    emu.webhooks.wait_for(lambda ds: any(d.job_id == training["id"] for d in ds), 5)
    payload = next(d for d in emu.webhook_deliveries if d.job_id == training["id"]).json()
    assert payload["status"] == "succeeded" and payload["output"]["version"].startswith(
        destination + ":"
    )
