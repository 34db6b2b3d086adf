"""Prediction lifecycle: creation, Prefer: wait, cancel, Cancel-After, validation, logs."""

from __future__ import annotations

import asyncio
import json
import pathlib
import threading
import time
import uuid
from typing import Iterator

import httpx
import pytest

from replicate.emulator import Emulator

from .conftest import api_client, wait_for_status


def unique_model(emu: Emulator, fn, **kwargs) -> str:
    name = f"acme/m-{uuid.uuid4().hex[:8]}"
    emu.add_model(name, fn, **kwargs)
    return name


def test_version_reference_forms(client: httpx.Client, emu: Emulator) -> None:
    version = emu.state.models["replicate/hello-world"].latest_version.id
    for ref in (version, "replicate/hello-world", f"replicate/hello-world:{version}"):
        body = client.post(
            "/v1/predictions",
            json={"version": ref, "input": {"text": "x"}},
            headers={"Prefer": "wait"},
        ).json()
        assert body["output"] == "hello x", ref
        assert body["version"] == version
        assert body["model"] == "replicate/hello-world"
    for bad in ("0" * 64, "replicate/nothing", f"replicate/hello-world:{'0' * 64}"):
        response = client.post("/v1/predictions", json={"version": bad, "input": {}})
        assert response.status_code == 422, bad
        assert response.json()["title"] == "Invalid version or not permitted"


def test_official_model_by_name_hides_version(client: httpx.Client) -> None:
    body = client.post(
        "/v1/predictions", json={"version": "replicate/llm-streamer", "input": {"max_tokens": 1}}
    ).json()
    assert body["version"].startswith("dp-")


def test_ids_and_timestamps_look_real(client: httpx.Client) -> None:
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/hello-world", "input": {"text": "x"}},
        headers={"Prefer": "wait"},
    ).json()
    assert len(body["id"]) == 26 and body["id"].isalnum() and body["id"].islower()
    assert body["data_removed"] is False
    # The held answer leaves the timestamps out, as the live API does; a GET has them all.
    body = client.get(f"/v1/predictions/{body['id']}").json()
    for key in ("created_at", "started_at", "completed_at"):
        assert body[key].endswith("Z") and "T" in body[key]
    assert body["source"] == "api"


def test_prefer_wait_finished_within_the_hold_answers_processing_with_the_output(
    client: httpx.Client,
) -> None:
    response = client.post(
        "/v1/predictions",
        json={"version": "replicate/slow-progress", "input": {"seconds": 0.2, "steps": 4}},
        headers={"Prefer": "wait"},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "processing"
    assert "100%|" in body["logs"]
    assert body["output"] == "finished 4 steps in 0.2 seconds"
    for key in ("started_at", "completed_at", "metrics"):
        assert key not in body
    # The prediction itself has finished: read back, it says so.
    assert client.get(f"/v1/predictions/{body['id']}").json()["status"] == "succeeded"


def test_prefer_wait_keeps_a_failure_terminal(emu: Emulator, client: httpx.Client) -> None:
    def broken() -> str:
        raise RuntimeError("no llamas")

    body = client.post(
        f"/v1/models/{unique_model(emu, broken)}/predictions", json={"input": {}}, headers={"Prefer": "wait"}
    ).json()
    assert body["status"] == "failed" and "no llamas" in body["error"]


def test_prefer_wait_n_expires_with_a_running_prediction(client: httpx.Client) -> None:
    started = time.monotonic()
    response = client.post(
        "/v1/predictions",
        json={"version": "replicate/slow-progress", "input": {"seconds": 3, "steps": 30}},
        headers={"Prefer": "wait=1"},
    )
    elapsed = time.monotonic() - started
    assert response.status_code == 201
    # Running when the hold expired: the live API says `starting`, whatever the model does.
    assert response.json()["status"] == "starting"
    assert response.json()["output"] is None
    assert client.get(f"/v1/predictions/{response.json()['id']}").json()["status"] == "processing"
    assert 0.9 <= elapsed < 2.5
    client.post(f"/v1/predictions/{response.json()['id']}/cancel")


def test_prefer_wait_is_capped_by_max_wait_seconds(emu: Emulator, client: httpx.Client) -> None:
    emu.max_wait_seconds = 0.3
    started = time.monotonic()
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/slow-progress", "input": {"seconds": 2}},
        headers={"Prefer": "wait=60"},
    ).json()
    assert time.monotonic() - started < 1.5
    assert body["status"] == "starting"
    client.post(f"/v1/predictions/{body['id']}/cancel")


def test_without_prefer_the_create_returns_immediately(client: httpx.Client) -> None:
    body = client.post(
        "/v1/predictions", json={"version": "replicate/slow-progress", "input": {"seconds": 1}}
    ).json()
    assert body["status"] in ("starting", "processing")
    assert body["output"] is None
    client.post(f"/v1/predictions/{body['id']}/cancel")


def test_lifecycle_starting_processing_succeeded(emu: Emulator, client: httpx.Client) -> None:
    emu.startup_delay = 0.3
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/slow-progress", "input": {"seconds": 0.3, "steps": 3}},
    ).json()
    assert body["status"] == "starting"
    assert "started_at" not in body
    processing = wait_for_status(client, body["id"], "processing")
    assert processing["started_at"]
    final = wait_for_status(client, body["id"], "succeeded")
    assert final["completed_at"] >= final["started_at"] >= final["created_at"]


def test_cancel_while_starting(emu: Emulator, client: httpx.Client) -> None:
    emu.startup_delay = 0.5
    body = client.post(
        "/v1/predictions", json={"version": "replicate/hello-world", "input": {"text": "x"}}
    ).json()
    canceled = client.post(f"/v1/predictions/{body['id']}/cancel").json()
    assert canceled["status"] == "canceled"
    assert canceled["output"] is None
    time.sleep(0.6)
    assert client.get(f"/v1/predictions/{body['id']}").json()["status"] == "canceled"


def test_cancel_stops_a_running_generator(emu: Emulator, client: httpx.Client) -> None:
    closed = threading.Event()

    def counter() -> Iterator[int]:
        try:
            for index in range(1000):
                yield index
                time.sleep(0.01)
        finally:
            closed.set()

    name = unique_model(emu, counter)
    body = client.post(f"/v1/models/{name}/predictions", json={"input": {}}).json()
    running = wait_for_status(client, body["id"], "processing")
    time.sleep(0.1)
    canceled = client.post(f"/v1/predictions/{running['id']}/cancel").json()
    assert canceled["status"] == "canceled"
    assert closed.wait(2), "the generator was not closed"
    count = len(client.get(f"/v1/predictions/{body['id']}").json()["output"])
    time.sleep(0.1)
    assert len(client.get(f"/v1/predictions/{body['id']}").json()["output"]) == count < 1000


def test_cancel_plain_function_ignores_its_result(emu: Emulator, client: httpx.Client) -> None:
    release = threading.Event()

    def blocking() -> str:
        release.wait(5)
        return "late"

    name = unique_model(emu, blocking)
    body = client.post(f"/v1/models/{name}/predictions", json={"input": {}}).json()
    wait_for_status(client, body["id"], "processing")
    assert client.post(f"/v1/predictions/{body['id']}/cancel").json()["status"] == "canceled"
    release.set()
    time.sleep(0.1)
    final = client.get(f"/v1/predictions/{body['id']}").json()
    assert final["status"] == "canceled" and final["output"] is None


def test_cancel_terminal_prediction_is_a_noop(client: httpx.Client) -> None:
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/hello-world", "input": {"text": "x"}},
        headers={"Prefer": "wait"},
    ).json()
    again = client.post(f"/v1/predictions/{body['id']}/cancel").json()
    assert again["status"] == "succeeded" and again["output"] == "hello x"


def test_cancel_after_aborts_a_prediction_that_never_started(
    emu: Emulator, client: httpx.Client
) -> None:
    emu.min_cancel_after = 0.1
    emu.startup_delay = 1.0
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/hello-world", "input": {"text": "x"}},
        headers={"Cancel-After": "0.2s"},
    ).json()
    assert body["deadline"].endswith("Z")
    final = wait_for_status(client, body["id"], {"aborted", "canceled", "succeeded"}, timeout=3)
    assert final["status"] == "aborted"


def test_cancel_after_cancels_a_running_prediction(emu: Emulator, client: httpx.Client) -> None:
    emu.min_cancel_after = 0.1
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/slow-progress", "input": {"seconds": 5}},
        headers={"Cancel-After": "0.3s", "Prefer": "wait=3"},
    ).json()
    assert body["status"] == "canceled"


def test_cancel_after_is_clamped_to_the_minimum(client: httpx.Client) -> None:
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/hello-world", "input": {"text": "x"}},
        headers={"Cancel-After": "1s", "Prefer": "wait"},
    ).json()
    assert body["status"] == "processing" and body["output"] == "hello x"  # the 5 s minimum applies


@pytest.mark.parametrize(
    "value,seconds", [("30s", 30), ("5m", 300), ("1h30m45s", 5445), ("30", 30), ("2h", 7200)]
)
def test_cancel_after_durations(value: str, seconds: float) -> None:
    from replicate.emulator.app import parse_duration

    assert parse_duration(value) == seconds


def test_bad_cancel_after_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/v1/predictions",
        json={"version": "replicate/hello-world", "input": {"text": "x"}},
        headers={"Cancel-After": "soon"},
    )
    assert response.status_code == 400


def test_failed_prediction(client: httpx.Client) -> None:
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/fails", "input": {"message": "kaboom"}},
        headers={"Prefer": "wait"},
    ).json()
    assert body["status"] == "failed"
    assert body["error"] == "kaboom"
    assert body["logs"].startswith("about to fail\n")
    assert "RuntimeError: kaboom" in body["logs"]


@pytest.mark.parametrize(
    "inputs,fragment",
    [
        ({}, "text is required"),
        ({"text": 5}, "Expected: string, given: integer"),
    ],
)
def test_input_validation_is_422(client: httpx.Client, inputs, fragment: str) -> None:
    response = client.post("/v1/models/replicate/hello-world/predictions", json={"input": inputs})
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422 and fragment in body["detail"]
    assert body["invalid_fields"]


def test_input_range_validation(client: httpx.Client) -> None:
    response = client.post(
        "/v1/models/replicate/image-maker/predictions", json={"input": {"width": 0}}
    )
    assert response.status_code == 422
    assert "greater than or equal to 1" in response.json()["detail"]


def test_missing_input_is_422(client: httpx.Client) -> None:
    response = client.post("/v1/predictions", json={"version": "replicate/hello-world"})
    assert response.status_code == 422


def test_streamed_output_grows_while_processing(emu: Emulator, client: httpx.Client) -> None:
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/llm-streamer", "input": {"max_tokens": 40, "delay": 0.02}},
    ).json()
    seen = []
    while True:
        current = client.get(f"/v1/predictions/{body['id']}").json()
        if current["status"] == "processing" and current["output"]:
            seen.append(len(current["output"]))
        if current["status"] == "succeeded":
            break
        time.sleep(0.05)
    assert len(current["output"]) == 40
    assert seen and seen[0] < 40


def test_logs_are_captured_per_prediction_across_threads(
    emu: Emulator, client: httpx.Client
) -> None:
    def talker(tag: str, lines: int = 20) -> str:
        for index in range(lines):
            print(f"{tag} line {index}")
            time.sleep(0.001)
        return tag

    name = unique_model(emu, talker)
    ids = [
        client.post(f"/v1/models/{name}/predictions", json={"input": {"tag": f"t{i}"}}).json()["id"]
        for i in range(6)
    ]
    for index, prediction_id in enumerate(ids):
        body = wait_for_status(client, prediction_id, "succeeded")
        lines = body["logs"].splitlines()
        assert lines == [f"t{index} line {n}" for n in range(20)]


def test_path_and_bytes_outputs_become_delivery_urls(
    emu: Emulator, client: httpx.Client, tmp_path: pathlib.Path
) -> None:
    def files() -> dict:
        target = tmp_path / "result.txt"
        target.write_text("from a path")
        return {"path": target, "raw": b"raw bytes", "nested": [target]}

    name = unique_model(emu, files)
    body = client.post(
        f"/v1/models/{name}/predictions", json={"input": {}}, headers={"Prefer": "wait"}
    ).json()
    output = body["output"]
    assert output["path"].startswith(emu.delivery_url + "/delivery/")
    assert output["path"].endswith("/result.txt")
    assert httpx.get(output["path"]).text == "from a path"
    assert httpx.get(output["raw"]).content == b"raw bytes"
    assert httpx.get(output["nested"][0]).text == "from a path"


async def test_async_function_and_async_generator_models(
    emu: Emulator, aclient: httpx.AsyncClient
) -> None:
    async def shout(text: str) -> str:
        await asyncio.sleep(0.01)
        print("shouting")
        return text.upper()

    async def count(n: int = 3):
        for index in range(n):
            await asyncio.sleep(0.001)
            yield index

    for fn, inputs, expected in ((shout, {"text": "hi"}, "HI"), (count, {"n": 4}, [0, 1, 2, 3])):
        name = unique_model(emu, fn)
        response = await aclient.post(
            f"/v1/models/{name}/predictions", json={"input": inputs}, headers={"Prefer": "wait"}
        )
        assert response.json()["status"] == "processing"
        assert response.json()["output"] == expected


async def _held_request(port: int, body: bytes) -> dict:
    """One ``Prefer: wait`` create over a raw socket (httpx's pool is slow at 1,000 connections)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = (
        "POST /v1/predictions HTTP/1.1\r\nHost: emulator\r\nAuthorization: Bearer r8_test\r\n"
        f"Prefer: wait\r\nContent-Type: application/json\r\nConnection: close\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    writer.write(head.encode() + body)
    await writer.drain()
    raw = await reader.read()
    writer.close()
    return json.loads(raw.split(b"\r\n\r\n", 1)[1])


async def test_a_thousand_concurrent_held_requests(make_emulator) -> None:
    emu = make_emulator(demo_models=False)

    def sleeper(seconds: float = 0.5) -> str:
        time.sleep(seconds)
        return "rested"

    emu.add_model("acme/sleeper", sleeper)
    port = int(emu.base_url.rsplit(":", 1)[1])
    body = json.dumps({"version": "acme/sleeper", "input": {}}).encode()
    started = time.monotonic()
    results = await asyncio.gather(*(_held_request(port, body) for _ in range(1000)))
    assert [(r["status"], r["output"]) for r in results] == [("processing", "rested")] * 1000
    assert time.monotonic() - started < 15
    assert emu.stats.predictions_created == 1000
    assert emu.state.models["acme/sleeper"].run_count == 1000


def test_stats_count_requests(make_emulator) -> None:
    emu = make_emulator(demo_models=True)
    with api_client(emu) as http:
        http.get("/v1/account")
        http.post(
            "/v1/predictions", json={"version": "replicate/hello-world", "input": {"text": "x"}}
        )
    assert emu.stats.predictions_created == 1
    assert emu.stats.count("GET", "/v1/account") == 1
    method, path, headers = emu.stats.requests[0]
    assert (method, path) == ("GET", "/v1/account") and headers["authorization"] == "Bearer r8_test"
    emu.stats.reset()
    assert emu.stats.requests == [] and emu.stats.predictions_created == 0


def test_predictions_list_filters(client: httpx.Client) -> None:
    first = client.post(
        "/v1/predictions", json={"version": "replicate/hello-world", "input": {"text": "a"}}
    ).json()
    time.sleep(0.01)
    second = client.post(
        "/v1/predictions", json={"version": "replicate/hello-world", "input": {"text": "b"}}
    ).json()
    after = client.get("/v1/predictions", params={"created_after": second["created_at"]}).json()[
        "results"
    ]
    assert [p["id"] for p in after] == [second["id"]]
    before = client.get("/v1/predictions", params={"created_before": second["created_at"]}).json()[
        "results"
    ]
    assert first["id"] in [p["id"] for p in before] and second["id"] not in [
        p["id"] for p in before
    ]
    assert client.get("/v1/predictions", params={"source": "web"}).json()["results"] == []
    assert client.get("/v1/predictions", params={"created_after": "yesterday"}).status_code == 400


def test_asgi_app_without_a_server() -> None:
    emu = Emulator()
    try:
        transport = httpx.ASGITransport(app=emu.app)

        async def scenario() -> dict:
            async with httpx.AsyncClient(
                transport=transport,
                base_url="http://testserver",
                headers={"Authorization": "Bearer r8_test"},
            ) as http:
                response = await http.post(
                    "/v1/predictions",
                    json={"version": "replicate/hello-world", "input": {"text": "asgi"}},
                    headers={"Prefer": "wait"},
                )
                return response.json()

        body = asyncio.run(scenario())
        assert body["output"] == "hello asgi"
        assert body["urls"]["get"].startswith("http://testserver/v1/predictions/")
    finally:
        emu.stop()
