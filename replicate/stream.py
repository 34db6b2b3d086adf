"""Streaming a prediction's output as server-sent events, resuming dropped connections.

One decoder (`EventSource.Decoder`, fed lines by `SSEParser`) serves the sync and async
readers. A stream that breaks off reconnects with `Last-Event-ID`; events already delivered
are not repeated. If it cannot be resumed, the prediction is polled until it finishes and the
output not yet delivered arrives as synthesized `output` events, then `done` (logs that
were missed are not replayed). An `error` event raises StreamingError, a ModelError.

As in v0, an `output` event whose data is a file URL carries it as a FileOutput unless
`use_file_output=False` is given; `str(event)` is its text either way.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from enum import Enum
from typing import (
    TYPE_CHECKING,
    Any,
    AsyncIterator,
    Dict,
    Iterable,
    Iterator,
    List,
    Optional,
    Set,
    Union,
    cast,
)

import httpx
from pydantic import BaseModel, Field
from typing_extensions import Unpack

from replicate._transport import check_deadline, time_left, timeout_within_deadline
from replicate.exceptions import ModelError, ReplicateError
from replicate.helpers import transform_output
from replicate.run import Target

if TYPE_CHECKING:
    from replicate.client import Client
    from replicate.prediction import Prediction, RunParams
    from replicate.run import Ref

__all__ = [
    "EventSource",
    "SSEParser",
    "ServerSentEvent",
    "StreamingError",
    "async_stream",
    "async_stream_prediction",
    "stream",
    "stream_prediction",
]

logger: logging.Logger = logging.getLogger("replicate")

# Reconnections in a row that may fail before the stream gives way to polling.
MAX_RECONNECTS = 5
_MAX_RECONNECT_DELAY = 10.0
_STREAM_HEADERS = {"Accept": "text/event-stream", "Cache-Control": "no-store"}


class ServerSentEvent(BaseModel):
    """One server-sent event: its type, data, id and requested reconnection delay."""

    class EventType(str, Enum):
        """The event types Replicate sends; other names arrive as plain strings."""

        OUTPUT = "output"
        LOGS = "logs"
        ERROR = "error"
        DONE = "done"

    event: Union[EventType, str] = Field(union_mode="left_to_right")
    """The event type: an EventType for Replicate's own, a str for any other name."""

    data: Any
    """The data lines of the event, joined with newlines; for an `output` event carrying a file
    URL, a FileOutput (unless `use_file_output=False`), as in v0."""

    id: str
    """The event's id, or the last id the stream sent before it ("" if none)."""

    retry: Optional[int] = None
    """The reconnection delay in milliseconds, when the event set one."""

    def __str__(self) -> str:
        """The data of an output event (a file's URL); "" for every other event (as v0)."""
        return str(self.data) if self.event == ServerSentEvent.EventType.OUTPUT else ""


# Validates a dict of an event's fields: ServerSentEvent(**fields) without the keyword unpacking.
_make_event = ServerSentEvent.__pydantic_validator__.validate_python


class StreamingError(ModelError, RuntimeError):
    """The stream reported that the prediction failed (an `error` event).

    A ModelError carrying the prediction, with `error` set from the event's `detail`; also a
    RuntimeError, which is what v0 raised.
    """


class EventSource:
    """The events of one `text/event-stream` response (no reconnection: see `stream_prediction`)."""

    client: Client
    response: httpx.Response
    use_file_output: bool

    class Decoder:
        """The server-sent events decoder of the HTML standard, fed one line at a time.

        A final event that is not followed by a blank line is never dispatched, as the
        standard says: the stream was cut before the event was complete.
        """

        event: Optional[str]
        data: List[str]
        last_event_id: Optional[str]
        retry: Optional[int]

        def __init__(self) -> None:
            self.event = None
            self.data = []
            self.last_event_id = None
            self.retry = None
            self.dispatched_with_id: bool = False
            """Whether the last event dispatched carried its own `id` field."""
            self.dispatched_event_id: Optional[str] = None
            """The id of the last complete event: what a reconnection sends as Last-Event-ID."""
            self.reconnection_delay: Optional[int] = None
            """The last `retry` value the stream sent, in milliseconds."""

        def decode(self, line: str) -> Optional[ServerSentEvent]:
            """Take one line (without its line ending); return the event a blank line completes."""
            events = list(self.take((line,)))
            return events[0] if events else None

        def take(self, lines: Iterable[str]) -> Iterator[ServerSentEvent]:
            """Take lines (without line endings); yield the events they complete (each time,
            `dispatched_with_id` says whether it carried its own id). The one place that reads
            the fields.

            Lazily: an event is made only when the previous one has been taken, so a chunk
            of thousands of events never has them all alive at once (that costs the garbage
            collector more than the decoding). The decoder's state is saved when the lines
            run out or the iterator is closed.
            """
            # Locals, not attributes: this loop runs for every line of a stream.
            event, data, retry, last_id, own_id = self.event, self.data, self.retry, self.last_event_id, self._id_in_event
            make_event = _make_event
            try:
                for line in lines:
                    if line:
                        field, _, value = line.partition(":")
                        if value[:1] == " ":
                            value = value[1:]
                        if field == "data":
                            data.append(value)
                        elif field == "event":
                            event = value
                        elif field == "id":
                            if "\0" not in value:  # the standard ignores ids holding NUL
                                last_id, own_id = value, True
                        elif field == "retry" and value.isascii() and value.isdigit():
                            retry = self.reconnection_delay = int(value)
                        # Other fields are ignored; an empty one is a comment (a keep-alive).
                        continue
                    self.dispatched_event_id, self.dispatched_with_id = last_id, own_id
                    # The standard skips events without data; Replicate's `done` may come without.
                    if data or event is not None:
                        fields = {"event": event or "message", "data": "\n".join(data), "id": last_id or "", "retry": retry}
                        event, data, retry, own_id = None, [], None, False
                        yield make_event(fields)
                    else:
                        retry, own_id = None, False
            finally:
                self.event, self.data, self.retry, self.last_event_id, self._id_in_event = event, data, retry, last_id, own_id

        _id_in_event = False

        def discard_event(self) -> None:
            """Drop the fields of an event not yet complete (its connection was cut)."""
            self.event, self.data, self.retry, self._id_in_event = None, [], None, False
            self.last_event_id = self.dispatched_event_id

    def __init__(
        self,
        client: Client,
        response: httpx.Response,
        *,
        use_file_output: Optional[bool] = True,
        prediction: Optional[Prediction] = None,
    ) -> None:
        content_type = response.headers.get("content-type", "").partition(";")[0].strip()
        if content_type != "text/event-stream":
            raise ValueError(f"Expected response Content-Type to be 'text/event-stream', got {content_type!r}")
        self.client = client
        self.response = response
        self.use_file_output = bool(use_file_output)
        self.prediction = prediction
        self.parser: SSEParser = SSEParser()

    def __iter__(self) -> Iterator[ServerSentEvent]:
        for chunk in self.response.iter_bytes():
            for event in self.parser.iter_events(chunk):
                check_event(event, self.prediction)
                yield with_file_output(event, self.client) if self.use_file_output else event
                if event.event == ServerSentEvent.EventType.DONE:
                    return

    async def __aiter__(self) -> AsyncIterator[ServerSentEvent]:
        async for chunk in self.response.aiter_bytes():
            for event in self.parser.iter_events(chunk):
                check_event(event, self.prediction)
                yield with_file_output(event, self.client) if self.use_file_output else event
                if event.event == ServerSentEvent.EventType.DONE:
                    return


def with_file_output(event: ServerSentEvent, client: Client) -> ServerSentEvent:
    """The event, with the file URL of an `output` event as a FileOutput (v0 does so)."""
    if event.event == ServerSentEvent.EventType.OUTPUT:
        data = transform_output(event.data, client)
        if data is not event.data:  # most items are plain text: spare pydantic's __setattr__
            event.data = data
    return event


class SSEParser:
    """Bytes in, events out: splits lines on CRLF, LF or CR (across chunk boundaries) for the Decoder."""

    def __init__(self, decoder: Optional[EventSource.Decoder] = None) -> None:
        self.decoder: EventSource.Decoder = decoder or EventSource.Decoder()
        self._buffer = bytearray()
        self._after_cr = False
        self._started = False

    def feed(self, chunk: bytes) -> List[ServerSentEvent]:
        """The events completed by this chunk, in order."""
        return list(self.iter_events(chunk))

    def iter_events(self, chunk: bytes) -> Iterator[ServerSentEvent]:
        """The events completed by this chunk, made one at a time as they are taken."""
        if not chunk:
            return iter(())
        if self._after_cr and chunk[:1] == b"\n":
            chunk = chunk[1:]  # the LF of a CRLF split across chunks
        self._after_cr = False
        buffer = self._buffer
        buffer += chunk
        # Decode every complete line at once: per-line searching and decoding is what costs.
        last = max(buffer.rfind(b"\n"), buffer.rfind(b"\r"))
        if last < 0:
            return iter(())
        self._after_cr = last == len(buffer) - 1 and buffer[last] == 0x0D
        text = buffer[: last + 1].decode("utf-8", "replace")
        del buffer[: last + 1]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if not self._started:
            self._started = True
            if text.startswith("\ufeff"):
                text = text[1:]  # a byte order mark may open the stream
        lines = text.split("\n")
        lines.pop()  # what follows the last line ending: nothing, since text ends with one
        return self.decoder.take(lines)


def check_event(event: ServerSentEvent, prediction: Optional[Prediction]) -> None:
    """Raise StreamingError for an `error` event."""
    if event.event == ServerSentEvent.EventType.ERROR:
        raise StreamingError(_failed(prediction, _error_detail(event.data)))


def _error_detail(data: str) -> str:
    try:
        body = json.loads(data)
    except ValueError:
        return data
    if isinstance(body, dict) and cast("Dict[str, Any]", body).get("detail") is not None:
        return str(cast("Dict[str, Any]", body)["detail"])
    return data


def _failed(prediction: Optional[Prediction], error: Optional[str]) -> Prediction:
    """The prediction as the failure left it (a placeholder when the stream came alone)."""
    from replicate.prediction import Prediction

    if prediction is None:
        return Prediction(id="", model="", version="", status="failed", error=error)
    if prediction.status == "failed" and prediction.error:
        return prediction
    update: Dict[str, Any] = {"status": "failed"}
    if error is not None:
        update["error"] = error
    return prediction.model_copy(update=update)


# --- streaming a prediction ------------------------------------------------------------------


def stream(
    client: Client,
    ref: Ref,
    input: Optional[Dict[str, Any]] = None,
    *,
    use_file_output: Optional[bool] = True,
    **params: Unpack[RunParams],
) -> Iterator[ServerSentEvent]:
    """Run a model and yield its events as it produces them (nothing is sent until iterated)."""
    target = Target(ref, input, {**params, "stream": True})
    prediction = target.create(client)
    yield from stream_prediction(prediction, use_file_output=_file_outputs(client, use_file_output))


async def async_stream(
    client: Client,
    ref: Ref,
    input: Optional[Dict[str, Any]] = None,
    *,
    use_file_output: Optional[bool] = True,
    **params: Unpack[RunParams],
) -> AsyncIterator[ServerSentEvent]:
    """Run a model and yield its events as it produces them, asynchronously."""
    target = Target(ref, input, {**params, "stream": True})
    prediction = await target.async_create(client)
    async for event in async_stream_prediction(prediction, use_file_output=_file_outputs(client, use_file_output)):
        yield event


def _file_outputs(client: Client, use_file_output: Optional[bool]) -> bool:
    """Whether output events' file URLs become FileOutput: v0's `stream()` always made them so
    (it read the flag as `use_file_output or True`); the newer style honours the flag."""
    return use_file_output is not False or not client._newer_style


def stream_prediction(
    prediction: Prediction, *, use_file_output: Optional[bool] = None
) -> Iterator[ServerSentEvent]:
    """The events of a prediction, read from `urls.stream`; ReplicateError if it has none.

    A file URL in an `output` event arrives as a FileOutput unless `use_file_output` is False.
    """
    state = PredictionStream(prediction, use_file_output=use_file_output is not False)
    return _stream_events(state)


def async_stream_prediction(
    prediction: Prediction, *, use_file_output: Optional[bool] = None
) -> AsyncIterator[ServerSentEvent]:
    """The events of a prediction, read asynchronously from `urls.stream`."""
    state = PredictionStream(prediction, use_file_output=use_file_output is not False)
    return _async_stream_events(state)


def _stream_events(state: PredictionStream) -> Iterator[ServerSentEvent]:
    http = state.client._client
    while state.connecting():
        try:
            with http.stream("GET", state.url, **state.request_options()) as response:
                if response.status_code >= 400:
                    response.read()
                if not state.connected(response):
                    break
                for chunk in response.iter_bytes():
                    yield from state.feed(chunk)
                    if state.done:
                        state.raise_failure()
                        return
                    check_deadline()  # keep-alive comments and trickles count against it too
            state.dropped(None)
        except httpx.TransportError as exc:
            state.dropped(exc)
        time.sleep(state.reconnect_delay())
    state.prediction.wait()
    yield from state.remaining_events()


async def _async_stream_events(state: PredictionStream) -> AsyncIterator[ServerSentEvent]:
    http = state.client._async_client
    while state.connecting():
        try:
            async with http.stream("GET", state.url, **state.request_options()) as response:
                if response.status_code >= 400:
                    await response.aread()
                if not state.connected(response):
                    break
                async for chunk in response.aiter_bytes():
                    for event in state.feed(chunk):
                        yield event
                    if state.done:
                        state.raise_failure()
                        return
                    check_deadline()
            state.dropped(None)
        except httpx.TransportError as exc:
            state.dropped(exc)
        await asyncio.sleep(state.reconnect_delay())
    await state.prediction.async_wait()
    for event in state.remaining_events():
        yield event


class PredictionStream:
    """The state of one prediction's stream, shared by the sync and async readers.

    It decides what to send on each (re)connection, which events reach the caller (each
    once), when to reconnect, and when to give up and poll instead.
    """

    def __init__(self, prediction: Prediction, *, use_file_output: bool = False) -> None:
        url = (prediction.urls or {}).get("stream")
        if not url or not isinstance(url, str):
            raise ReplicateError("Model does not support streaming")  # v0's error, as v0 builds it
        self.prediction = prediction
        self.client: Client = prediction._require_client()
        self.url = url
        self.parser: SSEParser = SSEParser()
        self.done: bool = False
        self.error_event: Optional[ServerSentEvent] = None
        self.attempts: int = 0
        self.failures: int = 0
        self.polling: bool = False
        self.seen_ids: Set[str] = set()
        self.outputs_delivered: List[str] = []
        self.use_file_output = use_file_output

    def connecting(self) -> bool:
        """Whether to open a connection now (False once it is time to poll instead)."""
        check_deadline()
        if self.polling:
            return False
        if self.failures > MAX_RECONNECTS:
            logger.debug("stream of %s could not be resumed; polling instead", self.prediction.id)
            self.polling = True
            return False
        self.attempts += 1
        # A partial line or event from a cut connection is dropped; the server sends it again.
        self.parser = SSEParser(self.parser.decoder)
        self.parser.decoder.discard_event()
        return True

    def request_options(self) -> Dict[str, Any]:
        """The stream request's headers, and its timeout when a wait's deadline bounds it."""
        options: Dict[str, Any] = {"headers": self.headers()}
        timeout = timeout_within_deadline(self.client._timeout)
        if timeout is not None:
            options["timeout"] = timeout
        return options

    def headers(self) -> Dict[str, str]:
        """The stream request's headers; a reconnection names the last event it received."""
        headers = dict(_STREAM_HEADERS)
        last_id = self.parser.decoder.dispatched_event_id
        if self.attempts > 1 and last_id:
            headers["Last-Event-ID"] = last_id
        return headers

    def connected(self, response: httpx.Response) -> bool:
        """Check the answer: True to read it, False to poll instead; raises on a first refusal."""
        content_type = response.headers.get("content-type", "").partition(";")[0].strip()
        if response.status_code < 400 and content_type == "text/event-stream":
            return True
        if self.attempts > 1:
            # The stream was working; if it cannot be resumed the prediction can still be read.
            logger.debug("reconnecting to the stream of %s got HTTP %d", self.prediction.id, response.status_code)
            if response.status_code >= 500:
                raise httpx.RemoteProtocolError(f"HTTP {response.status_code}", request=response.request)
            self.polling = True
            return False
        if response.status_code >= 400:
            raise ReplicateError.from_response(response)
        # v0's exception and message for a stream URL that answers something else.
        raise ValueError(f"Expected response Content-Type to be 'text/event-stream', got {content_type!r}")

    def feed(self, chunk: bytes) -> Iterator[ServerSentEvent]:
        """The new events in a chunk, without repeats, up to `done` or an `error` event.

        Either one sets `done`; an `error` event is kept back for `raise_failure`.
        """
        seen_ids, delivered, decoder = self.seen_ids, self.outputs_delivered, self.parser.decoder
        for event in self.parser.iter_events(chunk):
            if decoder.dispatched_with_id:
                if event.id in seen_ids:
                    continue
                seen_ids.add(event.id)
            self.failures = 0
            kind = event.event
            if kind == "error":
                self.done, self.error_event = True, event
                return
            if kind == "output":
                delivered.append(event.data)
                if self.use_file_output:
                    with_file_output(event, self.client)
            elif kind == "done":
                self.done = True
            yield event
            if self.done:
                return

    def raise_failure(self) -> None:
        """Raise StreamingError if the stream ended with an `error` event."""
        if self.error_event is not None:
            check_event(self.error_event, self.prediction)

    def dropped(self, exc: Optional[Exception]) -> None:
        """Record a connection that ended before `done`."""
        self.failures += 1
        logger.debug(
            "stream of %s ended before done (%s); reconnecting",
            self.prediction.id,
            type(exc).__name__ if exc else "closed",
        )

    def reconnect_delay(self) -> float:
        """Seconds before the next connection: the server's `retry`, else the poll interval."""
        if self.polling or self.failures > MAX_RECONNECTS:
            return 0.0
        retry = self.parser.decoder.reconnection_delay
        base = retry / 1000.0 if retry is not None else self.client.poll_interval
        delay = min(_MAX_RECONNECT_DELAY, base * 2.0 ** max(0, self.failures - 1))
        left = time_left()
        return delay if left is None else min(delay, left)

    def remaining_events(self) -> List[ServerSentEvent]:
        """After polling to the end: the output not yet delivered, then `done` (or the failure)."""
        prediction = self.prediction
        if prediction.status == "failed":
            raise StreamingError(_failed(prediction, prediction.error))
        last_id = self.parser.decoder.dispatched_event_id or ""
        events = [
            ServerSentEvent(event=ServerSentEvent.EventType.OUTPUT, data=data, id=last_id)
            for data in _undelivered(prediction.output, self.outputs_delivered)
        ]
        if self.use_file_output:
            events = [with_file_output(event, self.client) for event in events]
        reason = "{}" if prediction.status == "succeeded" else json.dumps({"reason": prediction.status})
        events.append(ServerSentEvent(event=ServerSentEvent.EventType.DONE, data=reason, id=last_id))
        return events


def _undelivered(output: Any, delivered: List[str]) -> List[str]:
    """The parts of a finished prediction's output the stream did not deliver."""
    if output is None:
        return []
    if isinstance(output, list):
        return [_as_text(item) for item in output[len(delivered) :]]  # pyright: ignore[reportUnknownVariableType]
    if isinstance(output, str):
        sent = "".join(delivered)
        rest = output[len(sent) :] if output.startswith(sent) else output
        return [rest] if rest else []
    return [] if delivered else [_as_text(output)]


def _as_text(item: Any) -> str:
    return item if isinstance(item, str) else json.dumps(item)
