"""`Prefer: wait` holds answer as the live API does, checked against its recordings.

A prediction that finished within the hold comes back `processing` with its complete output;
a hold that expires comes back `starting`. The recordings live outside the repository
(``../shared/reference/live-traffic``); the tests that need them skip without them.
"""

from __future__ import annotations

import json
import pathlib
import time
from typing import Any, Dict, Iterator, List

import pytest

from replicate.client import Client
from replicate.emulator import Emulator

from .conftest import TOKEN, api_client

LIVE_TRAFFIC = pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "live-traffic"


def recorded_held_answers() -> List[Dict[str, Any]]:
    """The bodies the live API answered to held creates, one per `*-prefer-wait-*` recording."""
    yaml = pytest.importorskip("yaml")
    paths = sorted(LIVE_TRAFFIC.glob("*prefer-wait-*.yaml"))
    if not paths:
        pytest.skip(f"the live recordings are not available ({LIVE_TRAFFIC})")
    answers = []
    for path in paths:
        for interaction in yaml.safe_load(path.read_text())["interactions"]:
            if interaction["request"]["method"] == "POST":
                answers.append(json.loads(interaction["response"]["body"]["string"]))
    return answers


def tokens(count: int = 4) -> Iterator[str]:
    """A language model's output: text tokens, the last one empty (as the recorded llama's)."""
    for index in range(count):
        yield f"t{index} "
    yield ""


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emu = Emulator(TOKEN, max_wait_seconds=0.5).start()
    emu.add_model("acme/tokens", tokens)

    def slow() -> str:
        time.sleep(1.5)
        return "late"

    emu.add_model("acme/slow", slow)
    yield emu
    emu.stop()


def held_create(emu: Emulator, model: str) -> Dict[str, Any]:
    with api_client(emu) as http:
        response = http.post(f"/v1/models/{model}/predictions", json={"input": {}}, headers={"Prefer": "wait"})
    assert response.status_code == 201
    return dict(response.json())


def test_a_finished_hold_answers_as_the_recordings(emulator: Emulator) -> None:
    recorded = recorded_held_answers()
    emulated = held_create(emulator, "acme/tokens")
    for answer in recorded:
        assert answer["status"] == emulated["status"] == "processing"
        assert set(answer) == set(emulated), "the held answer has the recorded fields, no more"
        assert isinstance(answer["output"], list) and isinstance(emulated["output"], list)
    assert emulated["output"] == ["t0 ", "t1 ", "t2 ", "t3 ", ""]


def test_a_finished_hold_is_processing_with_the_whole_output_then_succeeded(emulator: Emulator) -> None:
    body = held_create(emulator, "acme/tokens")
    assert body["status"] == "processing"
    assert body["output"] == ["t0 ", "t1 ", "t2 ", "t3 ", ""]
    with api_client(emulator) as http:
        later = http.get(f"/v1/predictions/{body['id']}").json()
    assert later["status"] == "succeeded" and later["output"] == body["output"]
    assert later["completed_at"] and later["metrics"]["predict_time"] >= 0


def test_an_expired_hold_answers_starting_whatever_the_model_does(emulator: Emulator) -> None:
    body = held_create(emulator, "acme/slow")
    assert body["status"] == "starting" and body["output"] is None
    with api_client(emulator) as http:
        assert http.get(f"/v1/predictions/{body['id']}").json()["status"] == "processing"
        http.post(f"/v1/predictions/{body['id']}/cancel")


def test_run_returns_a_held_output_in_one_request(emulator: Emulator) -> None:
    emulator.stats.reset()
    client = Client(api_token=TOKEN, base_url=emulator.base_url)
    assert list(client.run("acme/tokens", input={})) == ["t0 ", "t1 ", "t2 ", "t3 ", ""]
    assert [f"{r.method} {r.path}" for r in emulator.stats.requests] == ["POST /v1/models/acme/tokens/predictions"]


def test_run_after_an_expired_hold_polls_until_the_output(emulator: Emulator) -> None:
    emulator.stats.reset()
    client = Client(api_token=TOKEN, base_url=emulator.base_url, poll_interval=0.05)
    assert client.run("acme/slow", input={}) == "late"
    requests = [f"{r.method} {r.path}" for r in emulator.stats.requests]
    assert requests[0] == "POST /v1/models/acme/slow/predictions"
    assert len(requests) > 1 and all(r.startswith("GET /v1/predictions/") for r in requests[1:])

