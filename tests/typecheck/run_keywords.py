"""Type-checked by `make lint` (mypy --strict), never run: the keywords the docs show for
run, async_run and stream are accepted by their typed signatures."""

from __future__ import annotations

import replicate
from replicate.prediction import Prediction


def report(prediction: Prediction) -> None:
    print(prediction.status)


def documented_calls(client: replicate.Client) -> None:
    client.run("acme/m", input={}, on_progress=report, wait_strategy="stream")
    replicate.run("acme/m", input={}, on_progress=report, wait_strategy="poll", wait=5)
    for event in client.stream("acme/m", input={}, wait_strategy="stream", cancel_after="5m"):
        print(event)


async def documented_async_calls(client: replicate.Client) -> None:
    await client.async_run("acme/m", input={}, on_progress=report, wait_strategy="stream")
