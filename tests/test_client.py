"""Client configuration: token, base URL, timeouts, headers, transports and lifecycle."""

from __future__ import annotations

import asyncio
import sys
import types
import warnings
from typing import Any, Callable, Dict, List, Tuple

import httpx
import pytest

from replicate._transport import ConnectionPools
from replicate.client import DEFAULT_TIMEOUT, Client, RetryTransport

PREDICTION = {"id": "p1", "model": "a/b", "version": "v1", "status": "starting"}


def recording_client(
    respond: Callable[[httpx.Request], httpx.Response] | None = None, **kwargs: Any
) -> tuple[Client, List[httpx.Request]]:
    requests: List[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return respond(request) if respond else httpx.Response(200, json=PREDICTION)

    return Client(transport=httpx.MockTransport(handler), **kwargs), requests


def test_explicit_token_and_user_agent() -> None:
    client, requests = recording_client(api_token="r8_explicit")
    client.predictions.get("p1")
    (request,) = requests
    assert request.headers["authorization"] == "Bearer r8_explicit"
    assert request.headers["user-agent"].startswith("replicate-python/")
    assert request.url == "https://api.replicate.com/v1/predictions/p1"


def test_caller_user_agent_wins() -> None:
    client, requests = recording_client(api_token="t", headers={"User-Agent": "my-app/2"})
    client.predictions.get("p1")
    assert requests[0].headers["user-agent"] == "my-app/2"


def test_no_token_still_sends_the_request() -> None:
    client, requests = recording_client()
    client.predictions.get("p1")
    assert "authorization" not in requests[0].headers


def test_environment_token_is_read_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    client, requests = recording_client()
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_one")
    client.predictions.get("p1")
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_two")
    client.predictions.get("p1")
    assert [r.headers["authorization"] for r in requests] == ["Bearer r8_one", "Bearer r8_two"]


class ExperimentalFeatureWarning(Warning):
    pass


def install_fake_cog(monkeypatch: pytest.MonkeyPatch, context: Callable[[], Dict[str, str]]) -> None:
    cog = types.ModuleType("cog")

    def current_scope() -> Any:
        warnings.warn("current_scope is experimental", ExperimentalFeatureWarning, stacklevel=2)
        return types.SimpleNamespace(context=context())

    cog.current_scope = current_scope  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cog", cog)


def test_cog_token_takes_precedence_over_environment_and_changes_per_prediction(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_env")
    scope = {"replicate_api_token": "r8_cog_1"}
    install_fake_cog(monkeypatch, lambda: dict(scope))
    client, requests = recording_client()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the experimental warning must be silenced
        client.predictions.get("p1")
        scope["replicate_api_token"] = "r8_cog_2"
        client.predictions.get("p1")
    assert [r.headers["authorization"] for r in requests] == ["Bearer r8_cog_1", "Bearer r8_cog_2"]


def test_explicit_token_beats_cog(monkeypatch: pytest.MonkeyPatch) -> None:
    install_fake_cog(monkeypatch, lambda: {"REPLICATE_API_TOKEN": "r8_cog"})
    client, requests = recording_client(api_token="r8_mine")
    client.predictions.get("p1")
    assert requests[0].headers["authorization"] == "Bearer r8_mine"


def test_broken_cog_scope_falls_back_to_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> Dict[str, str]:
        raise RuntimeError("no scope outside a prediction")

    install_fake_cog(monkeypatch, broken)
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_env")
    client, requests = recording_client()
    client.predictions.get("p1")
    assert requests[0].headers["authorization"] == "Bearer r8_env"


@pytest.mark.parametrize(
    ("base_url", "expected"),
    [
        ("https://example.test", "https://example.test/v1/predictions/p1"),
        ("https://example.test/", "https://example.test/v1/predictions/p1"),
        ("https://example.test/v1", "https://example.test/v1/predictions/p1"),
        ("https://example.test/v1/", "https://example.test/v1/predictions/p1"),
        ("https://example.test/proxy", "https://example.test/proxy/v1/predictions/p1"),
    ],
)
def test_base_url_with_or_without_v1(base_url: str, expected: str) -> None:
    client, requests = recording_client(api_token="t", base_url=base_url)
    client.predictions.get("p1")
    assert str(requests[0].url) == expected


def test_base_url_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REPLICATE_BASE_URL", "http://127.0.0.1:9/v1")
    client, requests = recording_client(api_token="t")
    client.predictions.get("p1")
    assert str(requests[0].url) == "http://127.0.0.1:9/v1/predictions/p1"


def test_default_timeouts_are_v0s() -> None:
    assert httpx.Timeout(5.0, read=30.0, write=30.0, connect=5.0, pool=10.0) == DEFAULT_TIMEOUT
    client, _ = recording_client()
    assert client._client.timeout == DEFAULT_TIMEOUT


def test_timeout_argument_is_used() -> None:
    client, _ = recording_client(timeout=httpx.Timeout(12.0))
    assert client._client.timeout == httpx.Timeout(12.0)


def test_poll_interval_from_environment_and_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Client().poll_interval == 0.5
    monkeypatch.setenv("REPLICATE_POLL_INTERVAL", "2.5")
    assert Client().poll_interval == 2.5
    assert Client(poll_interval=0.1).poll_interval == 0.1


def test_callers_transport_is_wrapped_in_retry_transport() -> None:
    client, _ = recording_client()
    transport = client._client._transport
    assert isinstance(transport, RetryTransport)
    assert isinstance(transport._wrapped_transport, httpx.MockTransport)


def test_transport_options_configure_the_default_transport() -> None:
    client = Client(verify=False, http2=False)
    retry = client._client._transport
    assert isinstance(retry, RetryTransport)
    pools = retry._wrapped_transport
    assert isinstance(pools, ConnectionPools) and pools._limit == 100
    assert len(pools._pools) == 4 and all(isinstance(pool, httpx.HTTPTransport) for pool in pools._pools)
    client.close()


def test_connection_limits_keep_every_connection_alive() -> None:
    assert Client()._transport_options["limits"] == httpx.Limits(max_connections=100, max_keepalive_connections=100)


@pytest.mark.parametrize(
    ("limits", "pools", "limit", "per_pool"),
    [
        (httpx.Limits(max_connections=100, max_keepalive_connections=100), 4, 100, (25, 25)),
        (httpx.Limits(max_connections=5), 1, 5, (5, 5)),  # httpcore keeps no more than it may open
        (httpx.Limits(max_connections=60, max_keepalive_connections=10), 3, 60, (20, 4)),
    ],
)
def test_connection_limits_are_shared_by_pools_of_at_most_25(
    limits: httpx.Limits, pools: int, limit: int, per_pool: Tuple[int, int]
) -> None:
    for transport in (Client(limits=limits)._client._transport, None):
        if transport is None:
            transport = asyncio.run(_async_transport(Client(limits=limits)))
        built = transport._wrapped_transport  # type: ignore[attr-defined]
        assert isinstance(built, ConnectionPools)
        assert (len(built._pools), built._limit) == (pools, limit)
        pool = built._pools[0]._pool  # httpcore's, configured from the per-pool limits
        assert (pool._max_connections, pool._max_keepalive_connections) == per_pool


async def _async_transport(client: Client) -> httpx.AsyncBaseTransport:
    return client._async_client._transport


def test_unlimited_connections_use_one_pool_without_a_queue() -> None:
    transport = Client(limits=httpx.Limits(max_connections=None))._client._transport
    assert isinstance(transport._wrapped_transport, httpx.HTTPTransport)  # type: ignore[attr-defined]


def test_token_never_in_repr_or_str() -> None:
    client = Client(api_token="r8_secret_value")
    assert "r8_secret" not in repr(client)
    assert "r8_secret" not in str(client)
    assert "r8_secret" not in repr(client._client.auth)


def test_token_only_sent_to_the_api_origin() -> None:
    client, requests = recording_client(api_token="r8_secret")
    client._client.get("https://replicate.delivery/some/file.png")
    client._client.get("https://api.replicate.com.evil.test/v1/x")
    client._client.get("http://api.replicate.com/v1/x")  # another scheme is another origin
    client._client.get("https://api.replicate.com/v1/x")
    assert [("authorization" in r.headers) for r in requests] == [False, False, False, True]


def test_redirect_to_another_origin_drops_the_token() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        if request.url.host == "api.replicate.com":
            return httpx.Response(302, headers={"Location": "https://elsewhere.test/file"})
        return httpx.Response(200, content=b"ok")

    client, requests = recording_client(respond, api_token="r8_secret")
    client._client.get("/v1/files/x", follow_redirects=True)
    assert [r.url.host for r in requests] == ["api.replicate.com", "elsewhere.test"]
    assert "authorization" in requests[0].headers
    assert "authorization" not in requests[1].headers


def test_async_client_survives_successive_event_loops() -> None:
    client, requests = recording_client(api_token="t")

    async def get() -> str:
        return (await client.predictions.async_get("p1")).id

    assert asyncio.run(get()) == "p1"
    assert asyncio.run(get()) == "p1"
    assert len(requests) == 2


def test_async_client_survives_successive_event_loops_with_real_transport() -> None:
    # The default transport's connection pool is bound to a loop: each loop needs its own.
    client = Client(api_token="t", base_url="http://127.0.0.1:9")

    async def pool_of_current_loop() -> int:
        return id(client._async_client)

    first = asyncio.run(pool_of_current_loop())
    second = asyncio.run(pool_of_current_loop())
    assert first != second


def test_close_and_context_managers() -> None:
    with Client(api_token="t") as client:
        sync_client = client._client
    assert sync_client.is_closed
    assert client._sync_client is None

    async def use_async() -> httpx.AsyncClient:
        async with Client(api_token="t") as client:
            async_client = client._async_client
        return async_client

    assert asyncio.run(use_async()).is_closed


def test_namespaces_are_bound_to_the_client() -> None:
    client = Client()
    for name in (
        "accounts",
        "collections",
        "deployments",
        "files",
        "hardware",
        "models",
        "predictions",
        "trainings",
        "webhooks",
    ):
        assert getattr(client, name)._client is client


def test_with_raw_response_gives_status_headers_and_parse() -> None:
    def respond(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json=PREDICTION, headers={"ratelimit-remaining": "599"})

    client, requests = recording_client(respond, api_token="t")
    raw = client.predictions.with_raw_response.get("p1")
    assert raw.status_code == 200
    assert raw.headers["ratelimit-remaining"] == "599"
    assert raw.json()["id"] == "p1"
    prediction = raw.parse()
    assert prediction.id == "p1" and prediction.status == "starting"
    assert len(requests) == 1

    async def raw_async() -> Any:
        return await client.predictions.with_raw_response.async_get("p1")

    assert asyncio.run(raw_async()).parse().id == "p1"
    # The namespace itself is unchanged.
    assert client.predictions.get("p1").id == "p1"


def test_pools_share_one_tls_context_built_from_the_options() -> None:
    import ssl

    pools = Client(verify=False)._client._transport._wrapped_transport._pools  # type: ignore[attr-defined]
    contexts = {id(pool._pool._ssl_context) for pool in pools}
    assert len(pools) == 4 and len(contexts) == 1
    assert pools[0]._pool._ssl_context.verify_mode == ssl.CERT_NONE
    checked = Client()._client._transport._wrapped_transport._pools[0]._pool._ssl_context  # type: ignore[attr-defined]
    assert checked.verify_mode == ssl.CERT_REQUIRED
