"""Property tests of the server-sent events decoder: chunking never changes what is decoded."""

from __future__ import annotations

import asyncio
from typing import Any, AsyncIterator, Iterator, List, Optional, Sequence, Tuple

import httpx
from hypothesis import given, settings
from hypothesis import strategies as st

from replicate.client import Client
from replicate.stream import EventSource, ServerSentEvent, SSEParser

SSE_HEADERS = {"content-type": "text/event-stream"}
KNOWN = [member.value for member in ServerSentEvent.EventType if member.value != "error"]

line_text = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\r\n"), max_size=12)
names = st.one_of(st.sampled_from(KNOWN), line_text.filter(lambda name: name not in ("", "error")))
ids = st.none() | line_text.filter(lambda value: "\0" not in value)
events = st.lists(st.tuples(names, ids, st.lists(line_text, max_size=3)), max_size=8)
line_endings = st.sampled_from(["\n", "\r\n", "\r"])

RawEvent = Tuple[str, Optional[str], List[str]]


def serialize(raw: Sequence[RawEvent], ending: str) -> bytes:
    lines = [": comment"]
    for name, event_id, data in raw:
        lines.append(f"event: {name}")
        if event_id is not None:
            lines.append(f"id: {event_id}")
        lines.extend(f"data: {line}" for line in data)
        lines.append("")
    return "".join(line + ending for line in lines).encode()


def expected(raw: Sequence[RawEvent]) -> List[Tuple[Any, str, str]]:
    result = []
    last_id = ""
    for name, event_id, data in raw:
        if event_id is not None:
            last_id = event_id
        result.append((name, last_id, "\n".join(data)))
    return result


def summary(decoded: Sequence[ServerSentEvent]) -> List[Tuple[Any, str, str]]:
    return [(getattr(e.event, "value", e.event), e.id, e.data) for e in decoded]


def until_done(items: List[Tuple[Any, str, str]]) -> List[Tuple[Any, str, str]]:
    for index, item in enumerate(items):
        if item[0] == "done":
            return items[: index + 1]
    return items


def split(body: bytes, cuts: List[int]) -> List[bytes]:
    points = sorted({min(cut, len(body)) for cut in cuts})
    chunks, start = [], 0
    for point in [*points, len(body)]:
        chunks.append(body[start:point])
        start = point
    return chunks


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: List[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Iterator[bytes]:
        yield from self.chunks

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self.chunks:
            yield chunk


@settings(max_examples=150, deadline=None)
@given(events, line_endings, st.lists(st.integers(min_value=0, max_value=400), max_size=20))
def test_any_chunking_decodes_the_same_events(raw: List[RawEvent], ending: str, cuts: List[int]) -> None:
    body = serialize(raw, ending)
    whole = summary(SSEParser().feed(body))
    assert whole == expected(raw)

    parser = SSEParser()
    pieces = [event for chunk in split(body, cuts) for event in parser.feed(chunk)]
    assert summary(pieces) == whole


@settings(max_examples=60, deadline=None)
@given(events, line_endings, st.lists(st.integers(min_value=0, max_value=400), max_size=20))
def test_sync_and_async_readers_agree(raw: List[RawEvent], ending: str, cuts: List[int]) -> None:
    chunks = split(serialize(raw, ending), cuts)
    client = Client()
    sync_events = list(EventSource(client, httpx.Response(200, headers=SSE_HEADERS, stream=Body(chunks))))

    async def read_async() -> List[ServerSentEvent]:
        response = httpx.Response(200, headers=SSE_HEADERS, stream=Body(chunks))
        return [event async for event in EventSource(client, response)]

    async_events = asyncio.run(read_async())
    assert summary(sync_events) == summary(async_events) == until_done(expected(raw))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300), st.lists(st.integers(min_value=0, max_value=300), max_size=10))
def test_line_noise_never_crashes_the_parser(noise: bytes, cuts: List[int]) -> None:
    parser = SSEParser()
    for chunk in split(noise, cuts):
        for event in parser.feed(chunk):
            assert isinstance(event, ServerSentEvent)
            str(event)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=30), max_size=20))
def test_arbitrary_lines_never_crash_the_decoder(lines: List[str]) -> None:
    decoder = EventSource.Decoder()
    for line in [*lines, ""]:
        event = decoder.decode(line)
        assert event is None or isinstance(event.data, str)


def test_utf8_split_inside_a_character() -> None:
    body = "event: output\ndata: héllo ☃\n\n".encode()
    cut = body.index("☃".encode()) + 1
    parser = SSEParser()
    decoded = parser.feed(body[:cut]) + parser.feed(body[cut:])
    assert [e.data for e in decoded] == ["héllo ☃"]


def test_crlf_split_across_chunks_is_one_line_ending() -> None:
    parser = SSEParser()
    decoded = parser.feed(b"event: output\r\ndata: a\r") + parser.feed(b"\n\r\n")
    assert [e.data for e in decoded] == ["a"]


def test_a_leading_byte_order_mark_is_ignored() -> None:
    decoded = SSEParser().feed("\ufeffevent: output\ndata: x\n\n".encode())
    assert [(e.event, e.data) for e in decoded] == [(ServerSentEvent.EventType.OUTPUT, "x")]


def test_empty_chunks_change_nothing() -> None:
    parser = SSEParser()
    decoded = [
        event
        for chunk in (b"event: output\r", b"", b"\ndata: a\r", b"", b"\n\r", b"", b"\n")
        for event in parser.feed(chunk)
    ]
    assert [e.data for e in decoded] == ["a"]
