"""The newer-style clients: Replicate and AsyncReplicate over the same core as Client."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Iterator, List, Tuple

import httpx
import pytest

import replicate
from replicate import AsyncReplicate, DefaultAsyncHttpxClient, DefaultHttpxClient, Replicate
from replicate._transport import RetryTransport
from replicate.exceptions import NotFoundError

PREDICTION = {"id": "p1", "model": "a/b", "version": "v1", "status": "succeeded", "output": "hi"}


class Recorder:
    def __init__(self, status: int = 200, body: Any = PREDICTION) -> None:
        self.requests: List[httpx.Request] = []
        self.status = status
        self.body = body

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.status, json=self.body)


def test_bearer_token_and_base_url_with_v1() -> None:
    server = Recorder()
    client = Replicate(bearer_token="r8_b", base_url="https://api.replicate.com/v1", transport=httpx.MockTransport(server))
    assert client.predictions.get("p1").output == "hi"
    (request,) = server.requests
    assert str(request.url) == "https://api.replicate.com/v1/predictions/p1"
    assert request.headers["authorization"] == "Bearer r8_b"


def test_api_token_also_works() -> None:
    server = Recorder()
    Replicate(api_token="r8_a", transport=httpx.MockTransport(server)).predictions.get("p1")
    assert server.requests[0].headers["authorization"] == "Bearer r8_a"


def test_timeout_as_seconds_or_httpx_timeout() -> None:
    assert Replicate(timeout=120.0)._client.timeout == httpx.Timeout(120.0)
    assert Replicate(timeout=httpx.Timeout(3.0, read=9.0))._client.timeout == httpx.Timeout(3.0, read=9.0)
    with pytest.raises(TypeError, match="timeout"):
        Replicate(timeout="slow")  # type: ignore[arg-type]


def test_max_retries_bounds_the_attempts() -> None:
    client = Replicate(max_retries=5)
    transport = client._client._transport
    assert isinstance(transport, RetryTransport) and transport._max_attempts == 6
    with pytest.raises(ValueError, match="max_retries"):
        Replicate(max_retries=-1)


def test_own_http_client_is_used_with_auth_and_absolute_urls() -> None:
    server = Recorder()
    http_client = DefaultHttpxClient(transport=httpx.MockTransport(server))
    client = Replicate(bearer_token="r8_b", http_client=http_client)
    client.predictions.get("p1")
    request = server.requests[0]
    assert str(request.url) == "https://api.replicate.com/v1/predictions/p1"
    assert request.headers["authorization"] == "Bearer r8_b"
    assert request.headers["user-agent"].startswith("replicate-python/")


def test_default_httpx_clients_retry() -> None:
    assert isinstance(DefaultHttpxClient()._transport, RetryTransport)
    assert isinstance(DefaultAsyncHttpxClient()._transport, RetryTransport)
    assert DefaultHttpxClient().timeout == httpx.Timeout(5.0, read=30.0, write=30.0, pool=10.0)


def test_copy_and_with_options_change_only_what_is_given() -> None:
    client = Replicate(bearer_token="r8_one", base_url="https://example.test", timeout=10.0)
    copy = client.copy(bearer_token="r8_two", timeout=60.0)
    assert isinstance(copy, Replicate) and copy is not client
    assert copy._token() == "r8_two" and client._token() == "r8_one"
    assert copy.base_url == "https://example.test"
    assert copy._client.timeout == httpx.Timeout(60.0)
    assert client.with_options(max_retries=1)._retry_options == {"max_attempts": 2}


def test_low_level_requests() -> None:
    server = Recorder(body={"ok": True})
    client = Replicate(bearer_token="t", transport=httpx.MockTransport(server))
    assert client.get("/custom/endpoint").json() == {"ok": True}
    client.post("/custom/endpoint", json={"key": "value"})
    client.request(method="PATCH", url="/v1/custom", json={"a": 1}, headers={"X-Custom-Header": "value"})
    # The JSON bodies are httpx's own encoding, whose spacing differs between httpx versions.
    got = [
        (r.method, str(r.url), json.loads(r.content) if r.content else None, r.headers.get("x-custom-header"))
        for r in server.requests
    ]
    assert got == [
        ("GET", "https://api.replicate.com/v1/custom/endpoint", None, None),
        ("POST", "https://api.replicate.com/v1/custom/endpoint", {"key": "value"}, None),
        ("PATCH", "https://api.replicate.com/v1/custom", {"a": 1}, "value"),
    ]


def test_low_level_errors_raise_replicate_errors() -> None:
    client = Replicate(bearer_token="t", transport=httpx.MockTransport(Recorder(404, {"detail": "nope"})))
    with pytest.raises(NotFoundError):
        client.get("/missing")


def test_async_replicate_awaits_plain_names() -> None:
    server = Recorder()
    client = AsyncReplicate(bearer_token="r8_a", transport=httpx.MockTransport(server))

    async def main() -> Any:
        prediction = await client.predictions.get("p1")
        raw = await client.predictions.with_raw_response.get("p1")
        response = await client.get("/predictions/p1")
        await client.close()
        return prediction, raw, response

    prediction, raw, response = asyncio.run(main())
    assert prediction.output == "hi"
    assert raw.status_code == 200 and raw.parse().id == "p1"
    assert response.json()["id"] == "p1"
    assert [r.url.path for r in server.requests] == ["/v1/predictions/p1"] * 3


def async_views(view: Any, path: str) -> Iterator[Tuple[str, Any]]:
    """Every typed view reachable from `view` (an AsyncReplicate or a namespace's view)."""
    from replicate._async_namespaces import AsyncView

    for name in dir(type(view)):
        if name.startswith("_") or name == "with_raw_response":
            continue
        value = getattr(view, name)
        if isinstance(value, AsyncView):
            yield f"{path}.{name}", value
            yield from async_views(value, f"{path}.{name}")


def test_each_typed_async_method_runs_the_async_twin_it_is_typed_from() -> None:
    # The views' methods take their types from the twin they name; at run time they call the
    # namespace's `async_<name>`: the two must be the same function.
    from replicate._async_namespaces import _Twin

    client = AsyncReplicate(bearer_token="t")
    checked = []
    for path, view in async_views(client, "client"):
        for name, attribute in vars(type(view)).items():
            if isinstance(attribute, _Twin):
                assert getattr(type(view._target), f"async_{name}") is attribute.twin, f"{path}.{name}"
                checked.append(f"{path}.{name}")
    assert len(checked) == 40
    assert client.webhooks.validate is client._client.webhooks.validate


def test_async_replicate_namespaces_are_typed_views_of_the_clients() -> None:
    from replicate._async_namespaces import (
        AsyncModelVersions,
        AsyncPredictions,
        AsyncSecretEndpoint,
    )

    client = AsyncReplicate(bearer_token="t")
    assert type(client.predictions) is AsyncPredictions and client.predictions._target is client._client.predictions
    assert type(client.predictions.with_raw_response) is AsyncPredictions
    assert client.predictions.with_raw_response is client.predictions.with_raw_response
    assert type(client.models.versions) is AsyncModelVersions
    assert type(client.webhooks.default.secret) is AsyncSecretEndpoint
    # What the views do not declare is still the namespace's (or its async twin).
    client._client.predictions.marker = "m"  # type: ignore[attr-defined]
    assert client.predictions.marker == "m"  # type: ignore[attr-defined]
    assert client.predictions.async_get == client._client.predictions.async_get


def test_async_replicate_works_across_event_loops() -> None:
    client = AsyncReplicate(bearer_token="t", transport=httpx.MockTransport(Recorder()))

    async def get() -> str:
        return (await client.predictions.get("p1")).id

    assert asyncio.run(get()) == asyncio.run(get()) == "p1"


def test_async_replicate_copy() -> None:
    client = AsyncReplicate(bearer_token="r8_one", timeout=5.0)
    copy = client.with_options(bearer_token="r8_two")
    assert isinstance(copy, AsyncReplicate)
    assert copy._client._token() == "r8_two"


def test_package_exports() -> None:
    assert replicate.Replicate is Replicate
    assert replicate.AsyncReplicate is AsyncReplicate
    from replicate.types import Prediction, PredictionStatus

    assert Prediction.model_fields["status"].annotation == PredictionStatus
