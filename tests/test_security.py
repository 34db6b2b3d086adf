"""Security and robustness: hostile ids, secrets in text, failing networks, proxies, deadlines,
loops, forks, pickles, odd answers, odd inputs and construction mistakes.

Each test states what reached the server (nothing destructive, nothing duplicated) and what the
caller saw. Tests that matter over sockets use real loopback sockets.
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, List, Optional, Tuple
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from replicate.client import Client
from replicate.exceptions import ReplicateError
from replicate.model import Model

TOKEN = "r8_securityTestToken0123456789abcdefWXYZ"
modes = pytest.mark.parametrize("mode", ["sync", "async"])
PROPERTY = settings(max_examples=60, deadline=None)


class Recorder:
    """A transport that records each request and answers a generic succeeded prediction."""

    def __init__(self, answer: Optional[Callable[[httpx.Request], httpx.Response]] = None) -> None:
        self.requests: List[httpx.Request] = []
        self._answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self._answer is not None:
            return self._answer(request)
        return httpx.Response(
            200, json={"id": "p1", "status": "succeeded", "output": "ok", "input": {}, "urls": {}}
        )

    def client(self, **kwargs: Any) -> Client:
        kwargs.setdefault("api_token", TOKEN)
        kwargs.setdefault("poll_interval", 0.001)
        return Client(transport=httpx.MockTransport(self), **kwargs)


# --- 1. ids and path segments ----------------------------------------------------------------


def _model(client: Client) -> Model:
    return Model.model_validate(
        {"owner": "acme", "name": "m", "url": "u", "visibility": "public", "run_count": 0}, context={"client": client}
    )


# (what is called, the argument it names, the path it must reach with `{}` for the value)
PATH_BUILDERS: List[Tuple[str, Callable[[Client, str], Any], str, str]] = [
    ("predictions.get", lambda c, v: c.predictions.get(v), "id", "/v1/predictions/{}"),
    ("predictions.cancel", lambda c, v: c.predictions.cancel(v), "id", "/v1/predictions/{}/cancel"),
    ("trainings.get", lambda c, v: c.trainings.get(v), "id", "/v1/trainings/{}"),
    ("trainings.cancel", lambda c, v: c.trainings.cancel(v), "id", "/v1/trainings/{}/cancel"),
    ("files.get", lambda c, v: c.files.get(v), "file_id", "/v1/files/{}"),
    ("files.delete", lambda c, v: c.files.delete(v), "file_id", "/v1/files/{}"),
    (
        "files.download",
        lambda c, v: c.files.download(v, owner="o", expiry=1, signature="s"),
        "file_id",
        "/v1/files/{}/download",
    ),
    ("collections.get", lambda c, v: c.collections.get(v), "slug", "/v1/collections/{}"),
    ("models.get(owner)", lambda c, v: c.models.get(v, "m"), "model owner", "/v1/models/{}/m"),
    ("models.get(name)", lambda c, v: c.models.get("acme", v), "model name", "/v1/models/acme/{}"),
    ("models.delete", lambda c, v: c.models.delete("acme", v), "model name", "/v1/models/acme/{}"),
    (
        "models.versions.get",
        lambda c, v: c.models.versions.get("acme", "m", v),
        "id",
        "/v1/models/acme/m/versions/{}",
    ),
    (
        "models.versions.delete",
        lambda c, v: c.models.versions.delete("acme", "m", v),
        "id",
        "/v1/models/acme/m/versions/{}",
    ),
    ("model.versions.get", lambda c, v: _model(c).versions.get(v), "id", "/v1/models/acme/m/versions/{}"),
    (
        "model.versions.delete",
        lambda c, v: _model(c).versions.delete(v),
        "id",
        "/v1/models/acme/m/versions/{}",
    ),
    (
        "models.predictions.create",
        lambda c, v: c.models.predictions.create(model=("acme", v), input={}),
        "model name",
        "/v1/models/acme/{}/predictions",
    ),
    (
        "deployments.get",
        lambda c, v: c.deployments.get(deployment_owner="acme", deployment_name=v),
        "deployment name",
        "/v1/deployments/acme/{}",
    ),
    (
        "deployments.delete",
        lambda c, v: c.deployments.delete("acme", v),
        "deployment name",
        "/v1/deployments/acme/{}",
    ),
    (
        "deployments.predictions.create",
        lambda c, v: c.deployments.predictions.create(deployment=(v, "d"), input={}),
        "deployment owner",
        "/v1/deployments/{}/d/predictions",
    ),
    (
        "trainings.create",
        lambda c, v: c.trainings.create(model="acme/m", version=v, input={}, destination="a/b"),
        "version",
        "/v1/models/acme/m/versions/{}/trainings",
    ),
]
builders = pytest.mark.parametrize(
    "call, argument, template", [case[1:] for case in PATH_BUILDERS], ids=[case[0] for case in PATH_BUILDERS]
)


def _segments(request: httpx.Request) -> List[str]:
    return request.url.raw_path.decode("ascii").split("?")[0].split("/")


def _check_path_builder(call: Callable[[Client, str], Any], argument: str, template: str, value: str) -> None:
    recorder = Recorder()
    client = recorder.client()
    try:
        call(client, value)
    except ValueError as exc:
        assert not recorder.requests, "a rejected id must not reach the server"
        assert argument in str(exc)
        assert value in ("", ".", ".."), f"{value!r} was refused: {exc}"
        return
    except ReplicateError:
        pass  # the generic answer need not fit this operation: only the request matters here
    assert value not in ("", ".", ".."), "dot segments must never be sent"
    request = recorder.requests[0]
    expected = template.split("/")
    sent = _segments(request)
    assert len(sent) == len(expected), (value, request.url.raw_path)
    position = expected.index("{}")
    assert unquote(sent[position]) == value
    assert [s for i, s in enumerate(sent) if i != position] == [s for i, s in enumerate(expected) if i != position]


@builders
@pytest.mark.parametrize("value", ["", ".", ".."])
def test_dot_segments_and_empty_ids_are_refused_before_any_request(
    call: Callable[[Client, str], Any], argument: str, template: str, value: str
) -> None:
    recorder = Recorder()
    with pytest.raises(ValueError, match=argument):
        call(recorder.client(), value)
    assert recorder.requests == []


@builders
@PROPERTY
@given(value=st.text(max_size=12) | st.sampled_from(["..", ".", "../..", "%2e%2e", "a/../b", "?x=1", "#f", "..\\"]))
def test_any_id_stays_inside_its_own_segment(
    call: Callable[[Client, str], Any], argument: str, template: str, value: str
) -> None:
    _check_path_builder(call, argument, template, value)


@modes
@pytest.mark.parametrize("ref", ["acme/..", "../m", "./.", "acme/.:v1"])
def test_run_with_a_dot_segment_ref_sends_nothing(mode: str, ref: str) -> None:
    recorder = Recorder()
    client = recorder.client()
    with pytest.raises(ValueError, match="Invalid model reference"):
        if mode == "sync":
            client.run(ref, input={})
        else:
            asyncio.run(client.async_run(ref, input={}))
    assert recorder.requests == []


def test_async_twins_refuse_dot_segments_too() -> None:
    recorder = Recorder()
    client = recorder.client()

    async def attempts() -> None:
        for make in (
            lambda: client.predictions.async_cancel(".."),
            lambda: client.files.async_delete(".."),
            lambda: client.models.versions.async_delete("acme", "m", ".."),
            lambda: client.deployments.async_delete("acme", "."),
        ):
            with pytest.raises(ValueError):
                await make()

    asyncio.run(attempts())
    assert recorder.requests == []
