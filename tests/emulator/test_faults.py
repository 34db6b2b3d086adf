"""Fault injection controls."""

from __future__ import annotations

import time

import httpx
import pytest

from replicate.emulator import Emulator

from .conftest import parse_sse


def test_status_fault_fires_n_times_then_stops(client: httpx.Client, emu: Emulator) -> None:
    rule = emu.faults.add("GET", "/v1/predictions/*", 503, times=2, headers={"Retry-After": "1"})
    created = client.post(
        "/v1/predictions", json={"version": "replicate/hello-world", "input": {"text": "x"}}
    )
    url = f"/v1/predictions/{created.json()['id']}"
    first, second, third = (client.get(url) for _ in range(3))
    assert first.status_code == second.status_code == 503
    assert first.headers["retry-after"] == "1"
    assert first.json()["status"] == 503
    assert third.status_code == 200
    assert rule.fired == 2 and emu.faults.fired == 2


def test_method_and_glob_must_match(client: httpx.Client, emu: Emulator) -> None:
    emu.faults.add("POST", "/v1/predictions", 500, times=None)
    assert client.get("/v1/predictions").status_code == 200
    assert client.post("/v1/predictions", json={}).status_code == 500
    emu.faults.clear()
    assert client.post("/v1/predictions", json={}).status_code == 422


def test_html_502(client: httpx.Client, emu: Emulator) -> None:
    emu.faults.html_502(path="/v1/account")
    response = client.get("/v1/account")
    assert response.status_code == 502
    assert response.headers["content-type"] == "text/html"
    assert b"502 Bad Gateway" in response.content


def test_invalid_json_and_empty_body(client: httpx.Client, emu: Emulator) -> None:
    emu.faults.invalid_json(path="/v1/account")
    response = client.get("/v1/account")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    emu.faults.empty_body(path="/v1/account", status=500)
    empty = client.get("/v1/account")
    assert empty.status_code == 500 and empty.content == b""


def test_rate_limit(client: httpx.Client, emu: Emulator) -> None:
    emu.faults.rate_limit(path="/v1/predictions", retry_after=2)
    response = client.get("/v1/predictions")
    assert response.status_code == 429
    assert response.headers["retry-after"] == "2"
    assert response.json() == {
        "detail": "Request was throttled. Expected available in 2 seconds.",
        "status": 429,
        "retry_after": 2,
    }


def test_custom_body_and_content_type(client: httpx.Client, emu: Emulator) -> None:
    emu.faults.add(path="/v1/hardware", status=200, body=b"[]", content_type="application/json")
    assert client.get("/v1/hardware").json() == []


def test_delay_then_passthrough(client: httpx.Client, emu: Emulator) -> None:
    emu.faults.slow(0.3, "GET", "/v1/account")
    started = time.monotonic()
    response = client.get("/v1/account")
    assert response.status_code == 200 and response.json()["username"] == "emulator"
    assert time.monotonic() - started >= 0.3


def test_delay_causes_client_timeouts(emu: Emulator) -> None:
    emu.faults.add("GET", "/v1/account", 200, delay=1.0, body=b"{}")
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(
            emu.base_url + "/v1/account", headers={"Authorization": "Bearer r8_test"}, timeout=0.2
        )


def test_cut_stream_then_resume(client: httpx.Client, emu: Emulator) -> None:
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/llm-streamer", "input": {"max_tokens": 8, "delay": 0}},
        headers={"Prefer": "wait"},
    ).json()
    rule = emu.faults.cut_stream(after_events=3)
    received = []
    with httpx.Client(timeout=5) as http:
        with (
            pytest.raises(httpx.RemoteProtocolError),
            http.stream("GET", body["urls"]["stream"]) as response,
        ):
            received.extend(response.iter_lines())
        first = [e for e in parse_sse("\n".join(received) + "\n\n") if "id" in e]
        assert len(first) == 3 and rule.fired == 1
        resumed = http.get(body["urls"]["stream"], headers={"Last-Event-ID": first[-1]["id"]})
    rest = [e for e in parse_sse(resumed.text) if "id" in e]
    ids = [int(e["id"]) for e in first + rest]
    assert ids == list(range(1, len(ids) + 1))
    assert rest[-1]["event"] == "done"


def test_cut_download(client: httpx.Client, emu: Emulator) -> None:
    url = client.post(
        "/v1/models/replicate/image-maker/predictions",
        json={"input": {"width": 128, "height": 128}},
        headers={"Prefer": "wait"},
    ).json()["output"]
    size = len(httpx.get(url).content)
    rule = emu.faults.cut_download(at_fraction=0.5)
    received = bytearray()
    with pytest.raises(httpx.RemoteProtocolError), httpx.stream("GET", url) as response:
        assert int(response.headers["content-length"]) == size
        for chunk in response.iter_raw():
            received += chunk
    assert len(received) == size // 2
    assert rule.fired == 1
    assert len(httpx.get(url).content) == size  # only the next request was cut


def test_faults_apply_to_the_delivery_origin(client: httpx.Client, emu: Emulator) -> None:
    url = client.post(
        "/v1/models/replicate/image-maker/predictions",
        json={"input": {"width": 2, "height": 2}},
        headers={"Prefer": "wait"},
    ).json()["output"]
    emu.faults.add("GET", "/delivery/*", 503)
    assert httpx.get(url).status_code == 503
    assert httpx.get(url).status_code == 200


def test_fault_needs_an_effect(emu: Emulator) -> None:
    with pytest.raises(ValueError):
        emu.faults.add("GET", "/v1/account")
