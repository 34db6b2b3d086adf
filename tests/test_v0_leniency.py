"""What v0 accepts, accepted: unknown keyword arguments to a create are ignored (as v0 ignores
them) with a UserWarning naming them; the request is the one v0 sends."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import pytest
from namespace_helpers import PREDICTION, FakeAPI

from replicate.client import Client

SUCCEEDED = {**PREDICTION, "status": "succeeded", "output": "hello"}
WARNING = r"ignoring unknown keyword argument\(s\) for creating a prediction: bogus, colour"

CREATES = {
    "predictions.create": lambda c: c.predictions.create(version="v1", input={}, bogus=1, colour="red"),
    "predictions.async_create": lambda c: asyncio.run(
        c.predictions.async_create(version="v1", input={}, bogus=1, colour="red")
    ),
    "models.predictions.create": lambda c: c.models.predictions.create(
        model="acme/m", input={}, bogus=1, colour="red"
    ),
    "deployments.predictions.create": lambda c: c.deployments.predictions.create(
        "acme/d", input={}, bogus=1, colour="red"
    ),
    "run": lambda c: c.run("acme/m", input={}, bogus=1, colour="red"),
    "async_run": lambda c: asyncio.run(c.async_run("acme/m", input={}, bogus=1, colour="red")),
}


@pytest.mark.parametrize("name", list(CREATES))
def test_unknown_keywords_warn_and_are_left_out_of_the_request(name: str) -> None:
    create: Callable[[Client], Any] = CREATES[name]
    fake = FakeAPI().reply(201, SUCCEEDED)
    with pytest.warns(UserWarning, match=WARNING):
        create(fake.client())
    request = fake.request
    assert json.loads(request.content) in ({"input": {}}, {"input": {}, "version": "v1"}, {"input": {}, "stream": True})
    assert "bogus" not in request.content.decode() and "colour" not in request.content.decode()


def test_the_warning_points_at_the_callers_line() -> None:
    fake = FakeAPI().reply(201, SUCCEEDED)
    with pytest.warns(UserWarning) as record:
        fake.client().predictions.create(version="v1", input={}, bogus=1)
    assert record[0].filename == __file__


def test_stream_warns_about_unknown_keywords_too() -> None:
    fake = FakeAPI().reply(201, {**SUCCEEDED, "urls": {**SUCCEEDED["urls"], "stream": "https://stream.example/s"}})
    fake.reply(200, content=b"event: done\ndata: {}\n\n", headers={"content-type": "text/event-stream"})
    with pytest.warns(UserWarning, match=r"for creating a prediction: bogus$"):
        list(fake.client().stream("acme/m", input={}, bogus=1))
    assert json.loads(fake.requests[0].content) == {"input": {}, "stream": True}


# --- smaller differences -------------------------------------------------------------------------

DEPLOYMENT = {"owner": "acme", "name": "app", "current_release": None}


def test_deployments_create_sends_the_name_part_of_owner_name_as_v0() -> None:
    fake = FakeAPI().reply(201, DEPLOYMENT).reply(201, DEPLOYMENT)
    client = fake.client()
    options = {"model": "a/b", "version": "v1", "hardware": "cpu", "min_instances": 0, "max_instances": 1}
    client.deployments.create(name="acme/app", **options)  # type: ignore[arg-type]
    asyncio.run(client.deployments.async_create(name="app", **options))  # type: ignore[arg-type]
    assert [json.loads(request.content) for request in fake.requests] == [{"name": "app", **options}] * 2


STREAMED = {**PREDICTION, "urls": {**PREDICTION["urls"], "stream": "https://stream.example/v1/files/s1"}}
EVENTS = (
    b"event: output\nid: 1\ndata: https://replicate.delivery/a.png\n\n"
    b"event: output\nid: 2\ndata: hello\n\n"
    b"event: done\nid: 3\ndata: {}\n\n"
)


def streamed(fake: FakeAPI) -> FakeAPI:
    return fake.reply(200, content=EVENTS, headers={"content-type": "text/event-stream"})


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stream_turns_file_urls_in_output_events_into_file_outputs_as_v0(mode: str) -> None:
    from replicate.helpers import FileOutput

    fake = streamed(FakeAPI().reply(201, STREAMED))
    client = fake.client()
    if mode == "sync":
        events = list(client.stream("acme/m", input={}))
    else:

        async def collect() -> Any:
            return [event async for event in await client.async_stream("acme/m", input={})]

        events = asyncio.run(collect())
    first, second, done = events
    assert isinstance(first.data, FileOutput) and first.data.url == "https://replicate.delivery/a.png"
    assert str(first) == "https://replicate.delivery/a.png"
    assert (second.data, str(second), done.data) == ("hello", "hello", "{}")


def test_stream_makes_file_outputs_even_with_use_file_output_false_as_v0() -> None:
    # v0's stream() read the flag as `use_file_output or True`; Prediction.stream() honours it.
    from replicate.helpers import FileOutput

    fake = streamed(FakeAPI().reply(201, STREAMED))
    events = list(fake.client().stream("acme/m", input={}, use_file_output=False))
    assert isinstance(events[0].data, FileOutput)
    assert [str(event.data) for event in events] == ["https://replicate.delivery/a.png", "hello", "{}"]


def test_prediction_stream_turns_file_urls_into_file_outputs_by_default() -> None:
    from replicate.helpers import FileOutput
    from replicate.prediction import Prediction

    fake = streamed(FakeAPI())
    prediction = Prediction.model_validate(STREAMED, context={"client": fake.client()})
    assert isinstance(next(iter(prediction.stream())).data, FileOutput)


class FakeScope:
    def __init__(self, context: Any) -> None:
        self.context = context


def fake_cog(monkeypatch: pytest.MonkeyPatch, scope: Callable[[], Any]) -> None:
    import sys
    import types

    cog = types.ModuleType("cog")
    cog.current_scope = scope  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cog", cog)


@pytest.mark.parametrize("value", ["r8_from_cog", "", None])
def test_get_api_token_from_environment_takes_cogs_value_when_its_key_is_there(
    monkeypatch: pytest.MonkeyPatch, value: Any
) -> None:
    from replicate.client import _get_api_token_from_environment

    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_from_env")
    fake_cog(monkeypatch, lambda: FakeScope({"replicate_api_token": value}))
    assert _get_api_token_from_environment() == value


def test_get_api_token_from_environment_falls_back_to_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys

    from replicate.client import _get_api_token_from_environment

    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_from_env")
    fake_cog(monkeypatch, lambda: FakeScope({"OTHER": "x"}))
    assert _get_api_token_from_environment() == "r8_from_env"

    def broken() -> Any:
        raise RuntimeError("no scope")

    fake_cog(monkeypatch, broken)
    assert _get_api_token_from_environment() == "r8_from_env"
    monkeypatch.setitem(sys.modules, "cog", None)  # not installed: `import cog` fails
    assert _get_api_token_from_environment() == "r8_from_env"
    monkeypatch.delenv("REPLICATE_API_TOKEN")
    assert _get_api_token_from_environment() is None
