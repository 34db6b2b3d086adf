"""FileOutput's contract, call order by call order, on a generated PNG.

Whole-file reads (read(), aread(), bytes(), iteration, save, the notebook display) give the
whole file whatever ran before them; positional reads behave as on io.BytesIO of the same bytes.
"""

from __future__ import annotations

import asyncio
import binascii
import copy
import io
import itertools
import pickle
import shutil
from pathlib import Path
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Tuple

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import replicate
from replicate.client import Client
from replicate.helpers import FileOutput, decode_data_uri

Image = pytest.importorskip("PIL.Image")
numpy = pytest.importorskip("numpy")

URL = "https://replicate.delivery/xezq/abc/out.png"


def make_png() -> bytes:
    """A 40x30 PNG of noise with a text chunk holding newlines (for readline)."""
    from PIL import PngImagePlugin

    pixels = numpy.random.default_rng(16).integers(0, 256, (30, 40, 3), dtype=numpy.uint8)
    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "line one\nline two\n\nline four")
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


PNG = make_png()


class Host:
    """A file host serving PNG in 997-byte chunks, honouring Range."""

    def __init__(self, data: bytes = PNG) -> None:
        self.data = data
        self.requests: List[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        start = int(request.headers.get("range", "bytes=0-")[len("bytes=") :].rstrip("-"))
        if start >= len(self.data):  # as HTTP answers a Range that starts past the end
            headers = {"content-range": f"bytes */{len(self.data)}"}
            return httpx.Response(416, headers=headers, text="Range Not Satisfiable")
        body = self.data[start:]
        headers = {"content-type": "image/png", "content-length": str(len(body))}
        if start:
            headers["content-range"] = f"bytes {start}-{len(self.data) - 1}/{len(self.data)}"
        chunks = [body[i : i + 997] for i in range(0, len(body), 997)]
        return httpx.Response(206 if start else 200, headers=headers, stream=Chunks(chunks))

    def client(self) -> Client:
        return Client(api_token="r8_secret", transport=httpx.MockTransport(self))


class Chunks(httpx.SyncByteStream, httpx.AsyncByteStream):
    def __init__(self, chunks: List[bytes]) -> None:
        self.chunks = chunks

    def __iter__(self) -> Any:
        yield from self.chunks

    async def __aiter__(self) -> Any:
        for chunk in self.chunks:
            yield chunk


# --- the calls ---------------------------------------------------------------------------------


async def _async_chunks(output: FileOutput) -> bytes:
    return b"".join([chunk async for chunk in output])


def _saved(output: FileOutput, tmp: Path) -> bytes:
    return output.save(tmp / "saved.png").read_bytes()


def _async_saved(output: FileOutput, tmp: Path) -> bytes:
    return asyncio.run(output.asave(tmp / "asaved.png")).read_bytes()


def _bundle(output: FileOutput, tmp: Path) -> bytes:
    bundle = output._repr_mimebundle_()
    assert bundle is not None
    return bytes(bundle["image/png"])


# Each gives the whole file, whatever ran before, and leaves the position where it was.
WHOLE_READS: Dict[str, Callable[[FileOutput, Path], bytes]] = {
    "read()": lambda f, _: f.read(),
    "read(-1)": lambda f, _: f.read(-1),
    "aread()": lambda f, _: asyncio.run(f.aread()),
    "bytes()": lambda f, _: bytes(f),
    "iteration": lambda f, _: b"".join(f),
    "async iteration": lambda f, _: asyncio.run(_async_chunks(f)),
    "save": _saved,
    "asave": _async_saved,
    "_repr_mimebundle_": _bundle,
    "_repr_png_": lambda f, _: f._repr_png_() or b"",
}


def _pil(file: Any) -> Any:
    try:
        with Image.open(file) as image:
            image.load()
            return ("image", image.size, image.tobytes())
    except Exception as exc:  # the same failure is expected from both files
        return ("error", type(exc).__name__)


def _copied(file: Any) -> bytes:
    target = io.BytesIO()
    shutil.copyfileobj(file, target, 1000)
    return target.getvalue()


def _read_into(file: Any) -> Tuple[int, bytes]:
    buffer = bytearray(333)
    count = file.readinto(buffer)
    return count, bytes(buffer[:count])


# Each is run on the FileOutput and on io.BytesIO(PNG): results and positions must match.
POSITIONAL: Dict[str, Callable[[Any], Any]] = {
    "read(41)": lambda f: f.read(41),
    "read(5000)": lambda f: f.read(5000),
    "readinto": _read_into,
    "readline()": lambda f: f.readline(),
    "readline(10)": lambda f: f.readline(10),
    "seek(0)": lambda f: f.seek(0),
    "seek(-100, 2)": lambda f: f.seek(-100, io.SEEK_END),
    "seek(700, 1)": lambda f: f.seek(700, io.SEEK_CUR),
    "seek(past the end)": lambda f: f.seek(len(PNG) + 10),
    "tell()": lambda f: f.tell(),
    "readall()": lambda f: f.readall() if isinstance(f, FileOutput) else f.read(),  # the rest
    "shutil.copyfileobj": _copied,
    "PIL.Image.open": _pil,
}

CALLS = [*WHOLE_READS, *POSITIONAL]


class Files(NamedTuple):
    output: FileOutput
    model: io.BytesIO
    tmp: Path


def apply(files: Files, call: str) -> None:
    """Run `call` on the output (and the model), checking what the contract promises."""
    output, model, tmp = files
    position = model.tell()
    if call in WHOLE_READS:
        assert WHOLE_READS[call](output, tmp) == PNG, call
    else:
        assert POSITIONAL[call](output) == POSITIONAL[call](model), call
    if call in WHOLE_READS:
        assert model.tell() == position
    assert output.tell() == model.tell(), call


@pytest.fixture
def fresh(tmp_path: Path) -> Callable[[], Files]:
    client = Host().client()
    return lambda: Files(FileOutput(URL, client), io.BytesIO(PNG), tmp_path)


@pytest.mark.parametrize(("first", "second"), list(itertools.product(CALLS, repeat=2)))
def test_every_pair_of_calls_in_either_order(first: str, second: str, fresh: Callable[[], Files]) -> None:
    files = fresh()
    apply(files, first)
    apply(files, second)
    # Whatever happened, every whole-file read still gives the whole file...
    for call in WHOLE_READS:
        apply(files, call)
    # ...and seek(0) starts the file over for positional readers.
    files.output.seek(0)
    files.model.seek(0)
    assert _copied(files.output) == PNG


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=st.lists(st.sampled_from(CALLS), max_size=8))
def test_any_sequence_of_calls(calls: List[str], fresh: Callable[[], Files]) -> None:
    files = fresh()
    for call in calls:
        apply(files, call)


@pytest.mark.parametrize("size", [1, 2, 997, 998, 5000, None])
def test_readline_matches_a_binary_file_across_chunks_and_the_kept_head(
    size: Optional[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import replicate.helpers

    monkeypatch.setattr(replicate.helpers, "RETAINED_HEAD_BYTES", 1500)  # lines past the head too
    data = b"".join(b"x" * n + b"\n" for n in (0, 3, 1200, 5, 2000, 1)) + b"tail"
    output, model = FileOutput(URL, Host(data).client()), io.BytesIO(data)
    args = () if size is None else (size,)
    while True:
        line = model.readline(*args)
        assert output.readline(*args) == line
        assert output.tell() == model.tell()
        if not line:
            break
    output.seek(0)
    assert output.readline() == b"\n" and output.readline() == b"xxx\n"


def test_the_issue_16_sequence_never_loses_bytes(tmp_path: Path) -> None:
    host = Host()
    output = FileOutput(URL, host.client())
    assert output.read() == PNG
    image = Image.open(output)
    assert output.tell() > 0  # PIL leaves the position after the header
    assert output.read() == PNG
    bundle = output._repr_mimebundle_()
    assert bundle is not None and bundle["image/png"] == PNG
    assert b"".join(output) == PNG
    image.load()
    assert image.size == (40, 30)
    output.seek(0)
    with open(tmp_path / "copy.png", "wb") as file:
        shutil.copyfileobj(output, file)
    assert (tmp_path / "copy.png").read_bytes() == PNG
    assert output.save(tmp_path / "saved.png").read_bytes() == PNG


def test_fresh_outputs_work_with_copyfileobj_and_pil() -> None:
    client = Host().client()
    assert _copied(FileOutput(URL, client)) == PNG
    assert _pil(FileOutput(URL, client)) == _pil(io.BytesIO(PNG))


def test_display_by_content_type() -> None:
    client = Host().client()
    png = FileOutput(URL, client)
    assert png._repr_png_() == PNG and png._repr_jpeg_() is None and png._repr_html_() is None
    jpeg = FileOutput("https://replicate.delivery/a/out.jpeg", client)
    assert jpeg._repr_jpeg_() == PNG and jpeg._repr_png_() is None  # the host serves PNG bytes
    audio = FileOutput("https://replicate.delivery/a/out.wav?x=1&y=2", client)
    assert audio._repr_html_() == '<audio controls src="https://replicate.delivery/a/out.wav?x=1&amp;y=2"></audio>'
    video = FileOutput("https://replicate.delivery/a/out.mp4", client)
    assert video._repr_html_() == '<video controls src="https://replicate.delivery/a/out.mp4"></video>'
    weights = FileOutput("https://replicate.delivery/a/weights.tar", client)
    assert weights._repr_html_() is None and weights._repr_png_() is None


# --- save --------------------------------------------------------------------------------------


def test_save_replaces_the_file_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "out.png"
    target.write_bytes(b"old")
    broken = Client(transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    with pytest.raises(httpx.HTTPStatusError):
        FileOutput(URL, broken).save(target)
    assert target.read_bytes() == b"old" and sorted(tmp_path.iterdir()) == [target]
    assert FileOutput(URL, Host().client()).save(str(target)) == target
    assert target.read_bytes() == PNG and sorted(tmp_path.iterdir()) == [target]


def test_save_names_a_bad_path() -> None:
    with pytest.raises(TypeError, match=r"path must be a str or os\.PathLike"):
        FileOutput(URL, Host().client()).save(42)  # type: ignore[arg-type]


def test_bad_sizes_and_offsets_are_named() -> None:
    output = FileOutput(URL, Host().client())
    with pytest.raises(TypeError, match="size must be an int or None"):
        output.read("10")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="size must be an int or None"):
        output.readline(1.5)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="offset must be an int"):
        output.seek("0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="whence"):
        output.seek(0, 3)


# --- copies and pickles --------------------------------------------------------------------------


def test_deepcopy_and_copy_share_the_client_and_read_the_same_file() -> None:
    host = Host()
    client = host.client()
    output = FileOutput(URL, client)
    output.read(10)
    for duplicate in (copy.deepcopy(output), copy.copy(output), copy.deepcopy({"out": [output]})["out"][0]):
        assert isinstance(duplicate, FileOutput) and duplicate.url == URL
        assert duplicate.client is client and duplicate.tell() == 0
        assert duplicate.read() == PNG


def test_copies_equal_the_output_they_were_made_from() -> None:
    # OpenTelemetry compares the deep copy its log record holds with the run's own output.
    output = FileOutput(URL, Host().client())
    assert copy.deepcopy(output) == output and copy.copy(output) == output
    assert pickle.loads(pickle.dumps(output)) == output
    assert hash(copy.deepcopy(output)) == hash(output)
    assert output != FileOutput("https://files.example/other.png") and output != URL
    assert {output, copy.deepcopy(output)} == {output}


def test_pickles_hold_neither_client_nor_token(monkeypatch: pytest.MonkeyPatch) -> None:
    output = FileOutput(URL, Client(api_token="r8_secret", transport=httpx.MockTransport(Host())))
    data = pickle.dumps(output)
    assert b"r8_secret" not in data and b"Client" not in data
    restored = pickle.loads(data)
    assert isinstance(restored, FileOutput) and restored.url == URL

    default = Host()
    monkeypatch.setattr(replicate, "default_client", default.client(), raising=False)
    assert restored.read() == PNG  # downloads with the default client
    assert len(default.requests) == 1


def test_an_output_made_without_a_client_uses_the_default_one(monkeypatch: pytest.MonkeyPatch) -> None:
    default = Host()
    monkeypatch.setattr(replicate, "default_client", default.client(), raising=False)
    assert FileOutput(URL).read() == PNG and len(default.requests) == 1


# --- data: URIs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "uri",
    [
        "data:image/png;base64,iVBORw0K!!GgoAAAA",  # a stray character
        "data:image/png;base64,iVBORw0KGgo",  # cut short: the padding is wrong
        "data:application/octet-stream;base64,AAA=AAAA",  # padding in the middle
    ],
)
def test_a_data_uri_with_invalid_base64_raises_a_clear_error(uri: str) -> None:
    output = FileOutput(uri, Host().client())
    for read in (output.read, lambda: b"".join(output), lambda: asyncio.run(output.aread()), lambda: output.read(3)):
        with pytest.raises(binascii.Error, match="does not hold valid base64") as raised:
            read()
        assert isinstance(raised.value, ValueError)  # v0's type for a bad data URI, too


def test_well_formed_data_uris_keep_working() -> None:
    encoded = binascii.b2a_base64(PNG, newline=False).decode()
    assert FileOutput(f"data:image/png;base64,{encoded}", Host().client()).read() == PNG
    wrapped = "\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))
    assert decode_data_uri(f"data:image/png;base64,{wrapped}") == PNG  # MIME line breaks
    assert decode_data_uri("data:text/plain;base64,aGk%3D") == b"hi"  # a percent-encoded "="
    assert decode_data_uri("data:text/plain,a%20b") == b"a b"


def test_reads_past_the_end_give_nothing_with_or_without_range_support() -> None:
    for host in (Host(), IgnoresRanges()):
        output, model = FileOutput(URL, host.client()), io.BytesIO(PNG)
        for file in (output, model):
            file.seek(len(PNG) + 5)
        assert output.read(10) == model.read(10) == b""
        assert output.readline() == b"" and output.tell() == len(PNG) + 5
        assert output.seek(-1, io.SEEK_END) == len(PNG) - 1 and output.read(5) == PNG[-1:]


class IgnoresRanges(Host):
    """A host that answers every request with the whole file (200)."""

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        headers = {"content-length": str(len(self.data))}
        return httpx.Response(200, headers=headers, stream=Chunks([self.data]))


def test_zipfile_reads_an_archive_as_documented(tmp_path: Path) -> None:
    import zipfile

    member = numpy.random.default_rng(1).bytes(200_000)  # incompressible: the archive is > 64 KiB
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as writer:
        writer.writestr("weights.bin", member)
    output = FileOutput("https://replicate.delivery/a/out.zip", Host(archive.getvalue()).client())

    with zipfile.ZipFile(output.save(tmp_path / "out.zip")) as reader:
        assert reader.read("weights.bin") == member
    with zipfile.ZipFile(io.BufferedReader(output)) as reader:
        assert reader.read("weights.bin") == member


def test_io_wrappers_read_it_as_a_binary_file() -> None:
    import csv

    text = "naïve,b\n1,2\n3,4\n" * 2000
    client = Host(text.encode()).client()

    wrapper = io.TextIOWrapper(FileOutput(URL, client), "utf-8", newline="")
    assert sum(1 for _ in csv.reader(wrapper)) == 6000
    wrapper.seek(0)
    assert wrapper.readline() == "naïve,b\n"
    mark = wrapper.tell()
    assert wrapper.readline() == "1,2\n"
    wrapper.seek(mark)
    assert wrapper.readline() == "1,2\n"

    buffered = io.BufferedReader(FileOutput(URL, client))
    assert buffered.read(6) == "naïve".encode()
    assert buffered.read() == text.encode()[6:]  # BufferedReader reads the rest through readall()
    buffered.seek(3)
    assert buffered.read() == text.encode()[3:]


def test_read1_and_the_file_probes() -> None:
    output = FileOutput(URL, Host().client())
    assert not output.closed and not output.isatty() and output.flush() is None
    with pytest.raises(io.UnsupportedOperation, match="save"):
        output.fileno()
    first = output.read1()
    assert 0 < len(first) <= len(PNG) and PNG.startswith(first) and output.tell() == len(first)
    assert output.read1(5) == PNG[len(first) : len(first) + 5]
    output.close()
    assert not output.closed and output.tell() == 0 and output.read(4) == PNG[:4]
