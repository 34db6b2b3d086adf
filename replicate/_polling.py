"""Waiting for predictions and trainings: the one place that polls and sleeps.

Two strategies: "poll" re-reads the prediction every `client.poll_interval` seconds (v0's
requests), "stream" follows its event stream to `done` and reads it once (the fast path).
Polling goes on through transient failures (a dropped connection, a 5xx, a 429 that
outlasted the transport's retries): a prediction is never created twice, only re-read.
"""

from __future__ import annotations

import logging
import time
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Iterator,
    List,
    Optional,
    Protocol,
)

import httpx

from replicate._transport import DeadlinePassed, async_sleep, deadline, time_left
from replicate.exceptions import ModelError, ReplicateError, UnexpectedResponseError

if TYPE_CHECKING:
    from replicate.client import Client

logger = logging.getLogger("replicate")

KNOWN_STATUSES = frozenset(["starting", "processing", "succeeded", "failed", "canceled", "aborted"])
TERMINAL_STATUSES = frozenset(["succeeded", "failed", "canceled", "aborted"])

# How long polling tolerates consecutive transient failures when the caller set no timeout.
TRANSIENT_FAILURE_BUDGET = 120.0
_MAX_FAILURE_DELAY = 10.0


class Pollable(Protocol):
    """A resource with a server-side status: a Prediction or a Training."""

    @property
    def id(self) -> str: ...

    @property
    def status(self) -> str: ...

    @property
    def output(self) -> Any: ...

    @property
    def logs(self) -> Optional[str]: ...

    @property
    def _client(self) -> Optional[Client]: ...

    def reload(self) -> None: ...

    async def async_reload(self) -> None: ...


ProgressCallback = Callable[[Any], None]


def has_finished(resource: Any) -> bool:
    """Whether a prediction or training has ended. A status this client does not know (one
    added to the API later) counts as the end only once the server gives `completed_at`."""
    status = resource.status
    if status in KNOWN_STATUSES:
        return status in TERMINAL_STATUSES
    return getattr(resource, "completed_at", None) is not None


def is_transient(exc: BaseException) -> bool:
    """Whether a failed poll is worth repeating: the network or the server, not the request."""
    if isinstance(exc, httpx.TransportError):
        return not isinstance(exc, (httpx.UnsupportedProtocol, httpx.ProxyError))
    if isinstance(exc, UnexpectedResponseError):
        return True  # a truncated or garbled answer; the next read may be whole
    if isinstance(exc, ReplicateError):
        return exc.status is not None and (exc.status >= 500 or exc.status == 429)
    return False


class Poller:
    """The bookkeeping of one wait: deadline, progress reports, new output and failed polls."""

    def __init__(
        self,
        resource: Pollable,
        timeout: Optional[float] = None,
        on_progress: Optional[ProgressCallback] = None,
    ) -> None:
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be a number of seconds >= 0, got {timeout!r}")
        client = resource._client
        self.resource = resource
        self.interval = client.poll_interval if client is not None else 0.5
        self.timeout = timeout
        self.deadline = None if timeout is None else time.monotonic() + timeout
        outer = time_left()  # a wait inside another wait (a stream falling back to polling)
        if outer is not None and timeout is None:
            self.timeout, self.deadline = outer, time.monotonic() + outer
        self.on_progress = on_progress
        self._reported_logs: Optional[str] = None
        self._reported = False
        self._output_seen = 0
        self._failures_since: Optional[float] = None
        self._failures = 0

    def finished(self) -> bool:
        """Report progress; True once terminal, TimeoutError once the deadline has passed."""
        resource = self.resource
        status = resource.status
        if self.on_progress is not None and (not self._reported or resource.logs != self._reported_logs):
            self._reported, self._reported_logs = True, resource.logs
            self.on_progress(resource)
        if has_finished(resource):
            return True
        if self.deadline is not None and time.monotonic() >= self.deadline:
            raise TimeoutError(
                f"{type(resource).__name__} {resource.id} is still {status} "
                f"after waiting {self.timeout} seconds"
            )
        return False

    def remaining(self) -> Optional[float]:
        """Seconds left before the deadline, or None without one."""
        if self.deadline is None:
            return None
        return max(0.0, self.deadline - time.monotonic())

    def delay(self) -> float:
        """Seconds to sleep before the next poll."""
        delay = self.interval
        if self._failures:
            delay = min(_MAX_FAILURE_DELAY, self.interval * (2.0**self._failures))
        if self.deadline is not None:
            delay = min(delay, max(0.0, self.deadline - time.monotonic()))
        return delay

    def polled(self) -> None:
        """Record a successful poll."""
        self._failures = 0
        self._failures_since = None

    def poll_failed(self, exc: Exception) -> None:
        """Record a failed poll; re-raise unless it is transient and there is time left."""
        if not is_transient(exc):
            raise exc
        now = time.monotonic()
        if self._failures_since is None:
            self._failures_since = now
        self._failures += 1
        if self.deadline is None and now - self._failures_since > TRANSIENT_FAILURE_BUDGET:
            raise exc
        logger.debug("polling %s failed (%s); trying again", self.resource.id, type(exc).__name__)

    def new_output(self) -> List[Any]:
        """Output items that appeared since the last call (for iterator outputs)."""
        output = self.resource.output
        if output is None:
            return []
        outputs: List[Any] = output if isinstance(output, list) else [output]  # pyright: ignore[reportUnknownVariableType]
        items = outputs[self._output_seen :]
        self._output_seen = len(outputs)
        return items

    def raise_if_failed(self) -> None:
        """Raise ModelError when the resource ended in failure."""
        if self.resource.status == "failed":
            raise ModelError(self.resource)  # type: ignore[arg-type]


def wait_for_terminal_status(
    resource: Pollable,
    timeout: Optional[float] = None,
    on_progress: Optional[ProgressCallback] = None,
) -> None:
    """Poll `resource` every `client.poll_interval` seconds until its status is terminal."""
    poller = Poller(resource, timeout, on_progress)
    with deadline(poller.remaining()):
        while not poller.finished():
            time.sleep(poller.delay())
            _reload(resource, poller)


async def async_wait_for_terminal_status(
    resource: Pollable,
    timeout: Optional[float] = None,
    on_progress: Optional[ProgressCallback] = None,
) -> None:
    """Poll `resource` until its status is terminal, without blocking the event loop."""
    poller = Poller(resource, timeout, on_progress)
    with deadline(poller.remaining()):
        while not poller.finished():
            await async_sleep(poller.delay())
            await _async_reload(resource, poller)


def follow_stream(
    prediction: Any,
    timeout: Optional[float] = None,
    on_progress: Optional[ProgressCallback] = None,
) -> None:
    """Wait for a prediction by following its event stream to `done`, then read it once.

    The fast path: the result arrives as soon as the server sends `done`, in three requests
    however long the model runs. Without a stream URL this is plain polling.
    """
    from replicate.stream import StreamingError, stream_prediction

    if not has_stream(prediction):
        return wait_for_terminal_status(prediction, timeout, on_progress)
    poller = Poller(prediction, timeout, on_progress)
    with deadline(poller.remaining()):
        events = stream_prediction(prediction, use_file_output=False)
        try:
            for event in events:
                _note_event(prediction, event, poller)
        except StreamingError:
            pass  # the prediction failed; reading it below gives its error and logs
        except DeadlinePassed:
            poller.finished()  # TimeoutError, unless the last event made it terminal
        finally:
            events.close()  # type: ignore[attr-defined]  # a generator: closes the stream now
        _reload(prediction, poller)
        wait_for_terminal_status(prediction, poller.remaining(), on_progress)


async def async_follow_stream(
    prediction: Any,
    timeout: Optional[float] = None,
    on_progress: Optional[ProgressCallback] = None,
) -> None:
    """Wait for a prediction by following its event stream, without blocking the event loop."""
    from replicate.stream import StreamingError, async_stream_prediction

    if not has_stream(prediction):
        return await async_wait_for_terminal_status(prediction, timeout, on_progress)
    poller = Poller(prediction, timeout, on_progress)
    with deadline(poller.remaining()):
        events = async_stream_prediction(prediction, use_file_output=False)
        try:
            async for event in events:
                _note_event(prediction, event, poller)
        except StreamingError:
            pass
        except DeadlinePassed:
            poller.finished()
        finally:
            await events.aclose()  # type: ignore[attr-defined]
        await _async_reload(prediction, poller)
        await async_wait_for_terminal_status(prediction, poller.remaining(), on_progress)


def has_stream(prediction: Any) -> bool:
    """Whether the prediction offers an event stream (`urls.stream`)."""
    urls: Dict[str, Any] = getattr(prediction, "urls", None) or {}
    return isinstance(urls.get("stream"), str) and bool(urls.get("stream"))


def _note_event(prediction: Any, event: Any, poller: Poller) -> None:
    # Log lines arrive as events: keep the local copy current so progress can be read from it.
    if event.event == "logs":
        prediction.logs = (prediction.logs or "") + event.data + "\n"
    if event.event != "done":
        poller.finished()


def iterate_stream_output(prediction: Any) -> Iterator[str]:
    """Yield a text iterator's items from the prediction's stream as the server sends them."""
    from replicate.stream import stream_prediction

    for event in stream_prediction(prediction, use_file_output=False):
        if event.event == "output":
            yield event.data


async def async_iterate_stream_output(prediction: Any) -> AsyncIterator[str]:
    """Yield a text iterator's items from the prediction's stream as the server sends them."""
    from replicate.stream import async_stream_prediction

    async for event in async_stream_prediction(prediction, use_file_output=False):
        if event.event == "output":
            yield event.data


def iterate_output(resource: Pollable) -> Iterator[Any]:
    """Yield output items as they appear, polling until the resource is terminal."""
    poller = Poller(resource)
    while True:
        finished = poller.finished()
        yield from poller.new_output()
        if finished:
            break
        time.sleep(poller.delay())
        _reload(resource, poller)
    poller.raise_if_failed()


async def async_iterate_output(resource: Pollable) -> AsyncIterator[Any]:
    """Yield output items as they appear, polling until the resource is terminal."""
    poller = Poller(resource)
    while True:
        finished = poller.finished()
        for item in poller.new_output():
            yield item
        if finished:
            break
        await async_sleep(poller.delay())
        await _async_reload(resource, poller)
    poller.raise_if_failed()


def _reload(resource: Pollable, poller: Poller) -> None:
    try:
        resource.reload()
    except Exception as exc:
        poller.poll_failed(exc)
    else:
        poller.polled()


async def _async_reload(resource: Pollable, poller: Poller) -> None:
    try:
        await resource.async_reload()
    except Exception as exc:
        poller.poll_failed(exc)
    else:
        poller.polled()
