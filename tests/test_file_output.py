"""FileOutput: reading, streaming, file-like use, display, token containment, resumed downloads."""

from __future__ import annotations

import asyncio
import hashlib
import io
import shutil
from typing import AsyncIterator, Dict, Iterator, List, Optional, Set, Tuple

import httpx
import pytest

from replicate.client import Client
from replicate.helpers import FileOutput, encode_json, transform_output

DELIVERY = "https://replicate.delivery/pbxt/abc/out.png"
BODY = bytes(range(256)) * 64  # 16 KiB, every byte value


class Body(httpx.SyncByteStream, httpx.AsyncByteStream):
    """A body sent in fixed-size chunks, cut off with a protocol error after `cut_after` bytes."""

    def __init__(self, data: bytes, cut_after: Optional[int] = None, chunk_size: int = 1000) -> None:
        self.data = data
        self.cut_after = cut_after
        self.chunk_size = chunk_size

    def _chunks(self) -> Iterator[bytes]:
        end = len(self.data) if self.cut_after is None else self.cut_after
        for start in range(0, end, self.chunk_size):
            yield self.data[start : min(start + self.chunk_size, end)]

    def __iter__(self) -> Iterator[bytes]:
        yield from self._chunks()
        if self.cut_after is not None:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for chunk in self._chunks():
            yield chunk
        if self.cut_after is not None:
            raise httpx.RemoteProtocolError("peer closed connection without sending complete message body")


class Delivery:
    """A file host: serves BODY, honours Range when asked to, and cuts the first responses."""

    def __init__(self, cuts: Optional[List[int]] = None, ranges: bool = True, data: bytes = BODY) -> None:
        self.cuts = list(cuts or [])
        self.ranges = ranges
        self.data = data
        self.requests: List[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        cut = self.cuts.pop(0) if self.cuts else None
        start = 0
        range_header = request.headers.get("range")
        if range_header and self.ranges:
            start = int(range_header.removeprefix("bytes=").rstrip("-"))
        body = self.data[start:]
        headers = {"content-type": "image/png", "content-length": str(len(body)), "etag": '"v1"'}
        if start:
            headers["content-range"] = f"bytes {start}-{len(self.data) - 1}/{len(self.data)}"
        cut_after = None if cut is None else min(cut, len(body))
        return httpx.Response(206 if start else 200, headers=headers, stream=Body(body, cut_after))

    def client(self) -> Client:
        return Client(api_token="r8_secret", transport=httpx.MockTransport(self))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def read_all(mode: str, output: FileOutput) -> bytes:
    if mode == "sync":
        return output.read()
    return asyncio.run(output.aread())


def chunks_of(mode: str, output: FileOutput) -> List[bytes]:
    if mode == "sync":
        return list(output)

    async def go() -> List[bytes]:
        return [chunk async for chunk in output]

    return asyncio.run(go())


# --- reading -----------------------------------------------------------------------------------


def test_read_downloads_the_whole_file(mode: str) -> None:
    delivery = Delivery()
    output = FileOutput(DELIVERY, delivery.client())
    assert read_all(mode, output) == BODY
    (request,) = delivery.requests
    assert (request.method, str(request.url)) == ("GET", DELIVERY)
    assert "range" not in request.headers


def test_read_twice_returns_everything_twice_as_v0() -> None:
    delivery = Delivery()
    output = FileOutput(DELIVERY, delivery.client())
    assert output.read() == output.read() == BODY
    assert len(delivery.requests) == 2


def test_iteration_streams_chunks(mode: str) -> None:
    output = FileOutput(DELIVERY, Delivery().client())
    chunks = chunks_of(mode, output)
    assert len(chunks) > 1 and b"".join(chunks) == BODY


def test_data_uris_decode_without_a_request(mode: str) -> None:
    delivery = Delivery()
    client = delivery.client()
    assert read_all(mode, FileOutput("data:text/plain;base64,aGVsbG8=", client)) == b"hello"
    assert chunks_of(mode, FileOutput("data:text/plain,hello%20world", client)) == [b"hello world"]
    assert delivery.requests == []


def test_str_and_repr_are_the_url() -> None:
    output = FileOutput(DELIVERY, Client())
    assert str(output) == DELIVERY
    assert repr(output) == f'FileOutput("{DELIVERY}")'
    assert output.url == DELIVERY


def test_http_errors_raise_httpx_status_errors(mode: str) -> None:
    client = Client(transport=httpx.MockTransport(lambda r: httpx.Response(404, text="gone")))
    with pytest.raises(httpx.HTTPStatusError):
        read_all(mode, FileOutput(DELIVERY, client))


# --- the file interface --------------------------------------------------------------------------


def test_sized_reads_seek_and_tell() -> None:
    delivery = Delivery()
    with FileOutput(DELIVERY, delivery.client()) as output:
        assert output.readable() and output.seekable() and not output.writable()
        assert output.read(10) == BODY[:10]
        assert output.tell() == 10
        assert output.read(5) == BODY[10:15]
        assert output.seek(0) == 0
        assert output.read(3) == BODY[:3]
        assert output.seek(-4, io.SEEK_END) == len(BODY) - 4
        assert output.read(100) == BODY[-4:]
        assert output.read(1) == b""
        assert output.seek(100) == 100 and output.seek(5, io.SEEK_CUR) == 105
        buffer = bytearray(7)
        assert output.readinto(buffer) == 7 and bytes(buffer) == BODY[105:112]
        with pytest.raises(ValueError, match="negative"):
            output.seek(-1)
    assert len(delivery.requests) == 1  # one download: the whole file fits in the kept head


def test_copyfileobj_copies_the_file() -> None:
    target = io.BytesIO()
    shutil.copyfileobj(FileOutput(DELIVERY, Delivery().client()), target, 1000)
    assert target.getvalue() == BODY


@pytest.fixture
def small_head(monkeypatch: pytest.MonkeyPatch) -> None:
    import replicate.helpers

    monkeypatch.setattr(replicate.helpers, "RETAINED_HEAD_BYTES", 1024)
    monkeypatch.setattr(replicate.helpers, "FORWARD_SKIP_LIMIT", 3000)


def ranges_asked(delivery: Delivery) -> List[Optional[str]]:
    return [request.headers.get("range") for request in delivery.requests]


@pytest.mark.usefixtures("small_head")
def test_sequential_reads_stream_through_keeping_only_the_head() -> None:
    delivery = Delivery()
    output = FileOutput(DELIVERY, delivery.client())
    target = io.BytesIO()
    shutil.copyfileobj(output, target, 700)
    assert target.getvalue() == BODY and ranges_asked(delivery) == [None]
    assert bytes(output._head) == BODY[:1024]  # what is kept; the rest went straight through
    output.seek(0)
    assert output.read(1024) == BODY[:1024] and len(delivery.requests) == 1
    output.close()
    assert output._head == bytearray() and output._cursor is None


@pytest.mark.usefixtures("small_head")
def test_seeking_back_past_the_head_downloads_from_there() -> None:
    delivery = Delivery()
    with FileOutput(DELIVERY, delivery.client()) as output:
        assert output.read(5000) == BODY[:5000]
        output.seek(2000)
        assert output.read(10) == BODY[2000:2010]
        assert ranges_asked(delivery) == [None, "bytes=2000-"]
        output.seek(1000)  # the head ends at 1024: served from it, then from a new download at 1024
        assert output.read(100) == BODY[1000:1100]
        assert ranges_asked(delivery) == [None, "bytes=2000-", "bytes=1024-"]


@pytest.mark.usefixtures("small_head")
def test_the_length_comes_from_content_range_after_a_range_download() -> None:
    delivery = Delivery()
    with FileOutput(DELIVERY, delivery.client()) as output:
        output.seek(9000)
        assert output.read(10) == BODY[9000:9010]
        assert output.seek(0, io.SEEK_END) == len(BODY)
        assert output._cursor is not None and output._cursor.offset == 9010  # not read to the end
    assert ranges_asked(delivery) == ["bytes=9000-"]  # nothing before 9000 was downloaded


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        ("bytes 5-9/10", (5, 10)),
        ("bytes 5-9/*", (5, None)),
        ("bytes */10", (None, 10)),
        ("items 1-2/3", (None, None)),
        ("", (None, None)),
    ],
)
def test_content_range_parsing(header: str, parsed: Tuple[Optional[int], Optional[int]]) -> None:
    from replicate.helpers import _content_range

    assert _content_range(httpx.Response(206, headers={"content-range": header})) == parsed


@pytest.mark.usefixtures("small_head")
def test_short_forward_seeks_read_through_and_long_ones_ask_for_a_range() -> None:
    delivery = Delivery()
    with FileOutput(DELIVERY, delivery.client()) as output:
        assert output.read(10) == BODY[:10]
        output.seek(2000, io.SEEK_CUR)  # within FORWARD_SKIP_LIMIT: the same download
        assert output.read(10) == BODY[2010:2020]
        output.seek(9000)
        assert output.read(10) == BODY[9000:9010]
        assert ranges_asked(delivery) == [None, "bytes=9000-"]
        assert bytes(output._head) == BODY[:1024]  # the bytes read through still extend the head


@pytest.mark.usefixtures("small_head")
def test_a_server_without_ranges_is_read_from_the_start_again() -> None:
    delivery = Delivery(ranges=False)
    with FileOutput(DELIVERY, delivery.client()) as output:
        output.seek(-100, io.SEEK_END)
        assert output.read(1000) == BODY[-100:]
        output.seek(4000)
        assert output.read(16) == BODY[4000:4016]
    # Each answered with the whole file, read through to the position asked for.
    assert ranges_asked(delivery) == [None, f"bytes={len(BODY) - 100}-", "bytes=4000-"]


def test_seek_end_of_a_body_without_a_length_reads_to_the_end() -> None:
    requests = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(200, stream=Body(BODY))  # chunked: no Content-Length

    with FileOutput(DELIVERY, Client(transport=httpx.MockTransport(handler))) as output:
        assert output.seek(0, io.SEEK_END) == len(BODY)
        output.seek(-3, io.SEEK_CUR)
        assert output.read(10) == BODY[-3:]
        output.seek(0)
        assert output.read(5) == BODY[:5]  # kept while reading to the end
    assert len(requests) == 1


def test_a_data_uri_reads_as_a_file() -> None:
    with FileOutput("data:text/plain,hello%20world", Client()) as output:
        assert output.seek(-5, io.SEEK_END) == 6
        assert output.read(99) == b"world"
        output.seek(0)
        assert output.read(5) == b"hello"


def test_pil_opens_a_file_output() -> None:
    image_module = pytest.importorskip("PIL.Image")
    png = io.BytesIO()
    image_module.new("RGB", (3, 2), (255, 0, 0)).save(png, format="PNG")
    output = FileOutput(DELIVERY, Delivery(data=png.getvalue()).client())
    image = image_module.open(output)
    assert image.size == (3, 2) and image.getpixel((0, 0)) == (255, 0, 0)


# --- Jupyter display -----------------------------------------------------------------------------


def test_plain_repr_downloads_nothing() -> None:
    delivery = Delivery()
    output = FileOutput(DELIVERY, delivery.client())
    repr(output), str(output)
    assert output.content_type == "image/png"
    assert delivery.requests == []


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (DELIVERY, {"image/png"}),
        ("https://replicate.delivery/a/out.jpg?sig=1", {"image/jpeg"}),
        ("https://replicate.delivery/a/out.webp", {"text/html"}),
        ("https://replicate.delivery/a/out.mp3", {"text/html"}),
        ("https://replicate.delivery/a/out.mp4", {"text/html"}),
    ],
)
def test_mimebundle_shows_media_inline(url: str, expected: Set[str]) -> None:
    output = FileOutput(url, Delivery().client())
    bundle = output._repr_mimebundle_()
    assert bundle is not None and set(bundle) == expected | {"text/plain"}
    if "image/png" in bundle:
        assert bundle["image/png"] == BODY
    if "text/html" in bundle:
        assert url.replace("&", "&amp;") in bundle["text/html"]


def test_mimebundle_of_other_files_is_none_and_svg_is_text() -> None:
    client = Client(transport=httpx.MockTransport(lambda r: httpx.Response(200, text="<svg/>")))
    assert FileOutput("https://replicate.delivery/a/weights.tar", client)._repr_mimebundle_() is None
    bundle = FileOutput("https://replicate.delivery/a/x.svg", client)._repr_mimebundle_()
    assert bundle is not None and bundle["image/svg+xml"] == "<svg/>"
    data_png = FileOutput("data:image/png;base64,iVBORw0K", client)._repr_mimebundle_()
    assert data_png is not None and data_png["image/png"] == b"\x89PNG\r\n"


# --- the API token stays with the API --------------------------------------------------------


def test_no_token_is_sent_to_the_delivery_host(mode: str) -> None:
    delivery = Delivery()
    read_all(mode, FileOutput(DELIVERY, delivery.client()))
    assert "authorization" not in delivery.requests[0].headers


def test_redirects_to_another_origin_carry_no_token(mode: str) -> None:
    requests: List[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.host == "api.replicate.com":
            return httpx.Response(302, headers={"location": DELIVERY})
        return httpx.Response(200, content=b"file bytes")

    client = Client(api_token="r8_secret", transport=httpx.MockTransport(handler))
    api_url = "https://api.replicate.com/v1/files/f1/download?owner=o&expiry=1&signature=s"
    assert read_all(mode, FileOutput(api_url, client)) == b"file bytes"
    first, second = requests
    assert first.headers["authorization"] == "Bearer r8_secret"
    assert str(second.url) == DELIVERY
    assert "authorization" not in second.headers


# --- resumed downloads -------------------------------------------------------------------------


def test_cut_download_resumes_with_a_range_request(mode: str) -> None:
    delivery = Delivery(cuts=[5000, 3000])
    data = read_all(mode, FileOutput(DELIVERY, delivery.client()))
    assert sha256(data) == sha256(BODY)
    assert [r.headers.get("range") for r in delivery.requests] == [None, "bytes=5000-", "bytes=8000-"]
    assert [r.headers.get("if-range") for r in delivery.requests] == [None, '"v1"', '"v1"']


def test_server_without_range_support_restarts_and_skips_what_was_delivered(mode: str) -> None:
    delivery = Delivery(cuts=[4500], ranges=False)
    chunks = chunks_of(mode, FileOutput(DELIVERY, delivery.client()))
    assert sha256(b"".join(chunks)) == sha256(BODY)
    assert [r.headers.get("range") for r in delivery.requests] == [None, "bytes=4500-"]


def test_body_shorter_than_its_content_length_resumes(mode: str) -> None:
    served: List[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        start = int(request.headers.get("range", "bytes=0-")[6:-1])
        served.append(start)
        end = len(BODY) if start else 6000  # the first answer ends early, cleanly
        headers: Dict[str, str] = {"content-length": str(len(BODY) - start)}
        if start:
            headers["content-range"] = f"bytes {start}-{len(BODY) - 1}/{len(BODY)}"
        return httpx.Response(206 if start else 200, headers=headers, stream=Body(BODY[start:end]))

    data = read_all(mode, FileOutput(DELIVERY, Client(transport=httpx.MockTransport(handler))))
    assert data == BODY and served == [0, 6000]


def test_a_download_that_keeps_breaking_raises_after_bounded_resumes(mode: str) -> None:
    from replicate.helpers import MAX_DOWNLOAD_RESUMES

    delivery = Delivery(cuts=[0] * 100)
    with pytest.raises(httpx.RemoteProtocolError):
        read_all(mode, FileOutput(DELIVERY, delivery.client()))
    assert len(delivery.requests) == MAX_DOWNLOAD_RESUMES + 1


def test_file_interface_resumes_too() -> None:
    output = FileOutput(DELIVERY, Delivery(cuts=[2500]).client())
    target = io.BytesIO()
    shutil.copyfileobj(output, target, 999)
    assert sha256(target.getvalue()) == sha256(BODY)


# --- transform_output and chaining -------------------------------------------------------------


def test_transform_output_maps_urls_anywhere() -> None:
    client = Client()
    value = {"a": [DELIVERY, "plain", 1], "b": {"c": "data:,x", "d": "http://h/x"}, "e": None, "f": ("https://t",)}
    result = transform_output(value, client)
    assert isinstance(result["a"][0], FileOutput) and result["a"][1:] == ["plain", 1]
    assert isinstance(result["b"]["c"], FileOutput) and isinstance(result["b"]["d"], FileOutput)
    assert result["e"] is None and isinstance(result["f"][0], FileOutput)
    assert transform_output("ftp://x", client) == "ftp://x"
    assert result["a"][0].client is client


def test_file_output_as_an_input_is_sent_as_its_url() -> None:
    requests: List[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(500)

    client = Client(transport=httpx.MockTransport(handler))
    assert encode_json({"image": FileOutput(DELIVERY, client)}, client) == {"image": DELIVERY}
    assert requests == []


def test_content_type_guesses() -> None:
    cases: Dict[str, str] = {
        "data:image/jpeg;base64,xx": "image/jpeg",
        "data:,plain": "text/plain",
        "https://h/a.webp?x=1": "image/webp",
        "https://h/noextension": "application/octet-stream",
    }
    for url, expected in cases.items():
        assert FileOutput(url, Client()).content_type == expected

