"""Shared fixtures for the emulator tests (raw httpx against real loopback sockets)."""

from __future__ import annotations

import json
import pathlib
import time
from typing import Any, Callable, Dict, Iterator, Optional

import httpx
import pytest

from replicate.emulator import Emulator
from replicate.emulator.pytest_plugin import replicate_emulator  # noqa: F401  (fixture re-export)

TOKEN = "r8_test"
SPEC_PATH = (
    pathlib.Path(__file__).resolve().parents[2]
    / ".."
    / "shared"
    / "reference"
    / "replicate-openapi.json"
)


@pytest.fixture(scope="session")
def shared_emulator() -> Iterator[Emulator]:
    """One emulator for the tests that do not change its configuration."""
    emulator = Emulator(TOKEN).start()
    yield emulator
    emulator.stop()


@pytest.fixture
def emu(shared_emulator: Emulator) -> Iterator[Emulator]:
    """The shared emulator, with faults and tunables reset after each test."""
    saved = {
        name: getattr(shared_emulator, name)
        for name in (
            "page_size",
            "min_cancel_after",
            "startup_delay",
            "delivery_supports_range",
            "max_wait_seconds",
        )
    }
    yield shared_emulator
    shared_emulator.faults.clear()
    for name, value in saved.items():
        setattr(shared_emulator, name, value)


@pytest.fixture
def make_emulator() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with custom settings; all are stopped after the test."""
    started = []

    def factory(**kwargs: Any) -> Emulator:
        emulator = Emulator(kwargs.pop("token", TOKEN), **kwargs).start()
        started.append(emulator)
        return emulator

    yield factory
    for emulator in started:
        emulator.stop()


def api_client(emulator: Emulator, token: Optional[str] = TOKEN, **kwargs: Any) -> httpx.Client:
    """An httpx client for the emulator's API origin."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=emulator.base_url, headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def shared_client(shared_emulator: Emulator) -> Iterator[httpx.Client]:
    """One authenticated client for the whole session (building one costs an SSL context)."""
    with api_client(shared_emulator) as http:
        yield http


@pytest.fixture
def client(emu: Emulator, shared_client: httpx.Client) -> httpx.Client:
    """An authenticated client for the shared emulator."""
    return shared_client


@pytest.fixture
async def aclient(emu: Emulator) -> Any:
    """An authenticated async client for the shared emulator."""
    async with httpx.AsyncClient(
        base_url=emu.base_url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    ) as http:
        yield http


def wait_for_status(
    http: httpx.Client,
    prediction_id: str,
    statuses: Any,
    timeout: float = 10.0,
    kind: str = "predictions",
) -> Dict[str, Any]:
    """Poll until the prediction (or training) reaches one of ``statuses``."""
    wanted = {statuses} if isinstance(statuses, str) else set(statuses)
    deadline = time.monotonic() + timeout
    while True:
        body = http.get(f"/v1/{kind}/{prediction_id}").json()
        if body["status"] in wanted:
            return body
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{kind} {prediction_id} stuck in {body['status']}, wanted {wanted}"
            )
        time.sleep(0.01)


def parse_sse(text: str) -> list:
    """Split an SSE body into dicts with event/id/data (comments kept as ``comment``)."""
    events = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        event: Dict[str, Any] = {}
        data = []
        for line in block.split("\n"):
            if line.startswith(":"):
                event["comment"] = line[1:].strip()
            else:
                field, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if field == "data":
                    data.append(value)
                else:
                    event[field] = value
        if data:
            event["data"] = "\n".join(data)
        events.append(event)
    return events


def load_spec() -> Dict[str, Any]:
    """The live API's OpenAPI document, or skip when the reference folder is absent."""
    if not SPEC_PATH.exists():
        pytest.skip("the reference OpenAPI spec (../shared/reference) is not available")
    return json.loads(SPEC_PATH.read_text())
