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
