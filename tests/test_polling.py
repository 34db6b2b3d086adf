"""Waiting: polls until terminal, reports progress, survives transient failures, times out."""

from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Union

import httpx
import pytest

from replicate.client import Client
from replicate.exceptions import ModelError, NotFoundError
from replicate.prediction import Prediction

Answer = Union[Dict[str, Any], httpx.Response, Exception]


def prediction(status: str, **fields: Any) -> Dict[str, Any]:
    return {"id": "p1", "model": "a/b", "version": "v1", "status": status, **fields}


class Server:
    """Answers each GET of the prediction with the next scripted answer."""

    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.requests: List[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if isinstance(answer, httpx.Response):
            return answer
        return httpx.Response(200, json=answer)


def started(server: Server, **fields: Any) -> Prediction:
    client = Client(api_token="t", transport=httpx.MockTransport(server), poll_interval=0.001)
    client._client._transport._max_attempts = 1  # type: ignore[attr-defined]  # let polling see the faults
    created = Prediction.model_validate(prediction("starting", **fields), context={"client": client})
    return created


modes = pytest.mark.parametrize("mode", ["sync", "async"])


def wait(p: Prediction, mode: str, **kwargs: Any) -> None:
    if mode == "sync":
        p.wait(**kwargs)
    else:
        asyncio.run(p.async_wait(**kwargs))


@modes
def test_wait_polls_until_terminal(mode: str) -> None:
    server = Server(prediction("starting"), prediction("processing"), prediction("succeeded", output="hi"))
    p = started(server)
    wait(p, mode)
    assert p.status == "succeeded" and p.output == "hi"
    assert [(r.method, r.url.path) for r in server.requests] == [("GET", "/v1/predictions/p1")] * 3


@modes
@pytest.mark.parametrize("status", ["succeeded", "failed", "canceled", "aborted"])
def test_terminal_statuses_end_the_wait(mode: str, status: str) -> None:
    server = Server(prediction(status))
    p = started(server)
    wait(p, mode)
    assert p.status == status


@modes
def test_wait_times_out(mode: str) -> None:
    p = started(Server(prediction("processing")))
    with pytest.raises(TimeoutError, match=r"p1 is still processing after waiting 0\.05 seconds"):
        wait(p, mode, timeout=0.05)


@modes
def test_progress_callback_sees_each_change(mode: str) -> None:
    logs = ["  0%|          | 0/4", "  0%|          | 0/4\n 50%|#####     | 2/4", "100%|##########| 4/4"]
    server = Server(
        prediction("processing", logs=logs[0]),
        prediction("processing", logs=logs[1]),
        prediction("processing", logs=logs[1]),
        prediction("succeeded", logs=logs[2]),
    )
    seen: List[Any] = []
    p = started(server)
    wait(p, mode, on_progress=lambda current: seen.append(current.progress))
    percentages = [progress.percentage if progress else None for progress in seen]
    assert percentages == [None, 0.0, 0.5, 1.0]
    assert (seen[-1].current, seen[-1].total) == (4, 4)


@modes
def test_transient_failures_are_survived_without_creating_again(mode: str) -> None:
    server = Server(
        httpx.ConnectError("refused"),
        httpx.Response(502, text="<html>bad gateway</html>"),
        httpx.Response(503),
        httpx.Response(200, content=b'{"id": "p1", "trunc'),
        prediction("succeeded", output=[1]),
    )
    p = started(server)
    wait(p, mode)
    assert p.output == [1]
    assert {r.method for r in server.requests} == {"GET"}


@modes
def test_client_errors_are_not_retried(mode: str) -> None:
    server = Server(httpx.Response(404, json={"detail": "gone", "status": 404}))
    p = started(server)
    with pytest.raises(NotFoundError):
        wait(p, mode)
    assert len(server.requests) == 1


@modes
def test_an_unknown_status_ends_the_wait_only_once_completed(mode: str) -> None:
    # A status added to the API later: waiting goes on until the server says it completed.
    p = started(Server(prediction("queued"), prediction("queued", completed_at="2024-01-01T00:00:00Z")))
    wait(p, mode)
    assert p.status == "queued" and p.completed_at is not None


def collect(p: Prediction, mode: str) -> List[Any]:
    if mode == "sync":
        return list(p.output_iterator())

    async def gather() -> List[Any]:
        return [item async for item in p.async_output_iterator()]

    return asyncio.run(gather())


@modes
def test_output_iterator_yields_each_item_once(mode: str) -> None:
    server = Server(
        prediction("processing", output=["a"]),
        httpx.ReadError("reset"),
        prediction("processing", output=["a", "b", "c"]),
        prediction("succeeded", output=["a", "b", "c", "d"]),
    )
    p = started(server, output=["a"])
    assert collect(p, mode) == ["a", "b", "c", "d"]


@modes
def test_output_iterator_raises_model_error_on_failure(mode: str) -> None:
    server = Server(prediction("failed", output=["a"], error="boom", logs="trace"))
    p = started(server)
    with pytest.raises(ModelError) as caught:
        collect(p, mode)
    assert caught.value.prediction.error == "boom"
    assert caught.value.prediction.logs == "trace"


def test_async_wait_does_not_block_the_event_loop() -> None:
    p = started(Server(prediction("processing"), prediction("processing"), prediction("succeeded")))
    p._require_client().poll_interval = 0.05
    ticks: List[int] = []

    async def ticker() -> None:
        for i in range(3):
            ticks.append(i)
            await asyncio.sleep(0.01)

    async def main() -> None:
        await asyncio.gather(p.async_wait(), ticker())

    asyncio.run(main())
    assert ticks == [0, 1, 2] and p.status == "succeeded"


def test_negative_timeout_is_rejected() -> None:
    p = started(Server(prediction("processing")))
    with pytest.raises(ValueError, match="timeout"):
        p.wait(timeout=-1)
