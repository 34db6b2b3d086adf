"""Property tests: model references, input encoding and Retry-After parsing, on generated input."""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import email.utils
import io
import re
from typing import Any, Callable, List, Tuple, Union

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from replicate._transport import parse_retry_after
from replicate.client import Client
from replicate.helpers import async_encode_json, encode_json
from replicate.identifier import ModelVersionIdentifier, resolve_ref

FAST = settings(max_examples=150, deadline=None)
SLOW = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- model references ------------------------------------------------------------------------

NAME_CHARACTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_."
# `.` and `..` are not names: they would leave their URL segment (tests/test_security.py).
names = st.text(NAME_CHARACTERS, min_size=1, max_size=30).filter(lambda name: name not in (".", ".."))
version_ids = st.text("0123456789abcdef", min_size=64, max_size=64)
# Anything at all a caller might pass: text (with the separators made likely), and other types.
refs = st.one_of(
    st.text(st.sampled_from(list("ab/:9f- \t\n.")), max_size=12),
    st.text(max_size=80),
    st.integers(),
    st.none(),
    st.binary(max_size=10),
    st.lists(st.text(max_size=3), max_size=3),
)


@FAST
@given(owner=names, name=names)
def test_owner_name_round_trips(owner: str, name: str) -> None:
    ref = f"{owner}/{name}"
    assert resolve_ref(ref) == (None, owner, name, None)
    assert ModelVersionIdentifier.parse(ref) == (owner, name, None)


@FAST
@given(owner=names, name=names, version=names | version_ids)
def test_owner_name_version_round_trips(owner: str, name: str, version: str) -> None:
    ref = f"{owner}/{name}:{version}"
    assert resolve_ref(ref) == (None, owner, name, version)
    parsed = ModelVersionIdentifier.parse(ref)
    assert (parsed.owner, parsed.name, parsed.version) == (owner, name, version)


@FAST
@given(version=version_ids)
def test_bare_version_ids_resolve_as_versions(version: str) -> None:
    assert resolve_ref(version) == (None, None, None, version)


@FAST
@given(ref=refs)
def test_any_reference_resolves_or_raises_a_value_error_naming_it(ref: Any) -> None:
    try:
        resolved = resolve_ref(ref)
    except ValueError as exc:
        assert str(exc).startswith((f"Invalid reference to model version: {ref}. ", f"Invalid argument: {ref}. "))
    else:
        assert isinstance(ref, str)
        _, owner, name, version = resolved
        if owner is not None:
            # A string accepted as owner/name[:version] reads the same both ways.
            assert ModelVersionIdentifier.parse(ref) == (owner, name, version)
            assert f"{owner}/{name}" + (f":{version}" if version is not None else "") == ref
        else:
            assert re.fullmatch("[0-9a-f]{64}", ref) and version == ref


@FAST
@given(ref=refs)
def test_any_identifier_parses_or_raises_a_value_error_naming_it(ref: Any) -> None:
    try:
        parsed = ModelVersionIdentifier.parse(ref)
    except ValueError as exc:
        assert f"Invalid reference to model version: {ref}. Expected format: owner/name:version" == str(exc)
    else:
        if {parsed.owner, parsed.name} & {".", ".."}:
            # A dot segment would be collapsed out of the URL: run() refuses what parse() splits.
            with pytest.raises(ValueError, match="Invalid reference to model version"):
                resolve_ref(ref)
        else:
            assert resolve_ref(ref) == (None, *parsed)


# --- input encoding --------------------------------------------------------------------------

UPLOAD_ORIGIN = "https://files.test"


def upload_answer(request: httpx.Request) -> httpx.Response:
    """A fake POST /v1/files whose urls.get carries the uploaded bytes in hex."""
    assert (request.method, request.url.path) == ("POST", "/v1/files")
    boundary = request.headers["content-type"].split("boundary=", 1)[1].encode()
    content = next(
        part.split(b"\r\n\r\n", 1)[1]
        for part in request.read().split(b"\r\n--" + boundary)
        if b'name="content"' in part.split(b"\r\n\r\n", 1)[0]
    )
    return httpx.Response(
        201,
        json={
            "id": "file-id",
            "name": "upload",
            "content_type": "application/octet-stream",
            "size": len(content),
            "etag": "etag",
            "checksums": {},
            "metadata": {},
            "created_at": "2024-01-01T00:00:00Z",
            "urls": {"get": f"{UPLOAD_ORIGIN}/{content.hex()}"},
        },
    )


def upload_client() -> Client:
    return Client(api_token="r8_test", transport=httpx.MockTransport(upload_answer))


def encode(value: Any, client: Client, strategy: Any, asynchronous: bool) -> Any:
    if asynchronous:
        return asyncio.run(async_encode_json(value, client, strategy))
    return encode_json(value, client, strategy)


json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)


def nested(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
        max_leaves=12,
    )


class Blob:
    """Marks where a file leaf was put, and the bytes it holds."""

    def __init__(self, data: bytes, as_stream: bool) -> None:
        self.data = data
        self.as_stream = as_stream

    def leaf(self) -> Union[bytes, io.BytesIO]:
        return io.BytesIO(self.data) if self.as_stream else self.data


blobs = st.builds(Blob, st.binary(max_size=48), st.booleans())


def with_files(template: Any) -> Any:
    """The input to encode: each Blob becomes bytes or an io.BytesIO."""
    if isinstance(template, Blob):
        return template.leaf()
    if isinstance(template, dict):
        return {key: with_files(item) for key, item in template.items()}
    if isinstance(template, list):
        return [with_files(item) for item in template]
    return template


def check_encoded(template: Any, encoded: Any, decode: Callable[[str], bytes]) -> None:
    """`encoded` matches `template`, with each Blob encoded as a string that decodes to its bytes."""
    if isinstance(template, Blob):
        assert isinstance(encoded, str)
        assert decode(encoded) == template.data
    elif isinstance(template, dict):
        assert isinstance(encoded, dict) and list(encoded) == list(template)
        for key, item in template.items():
            check_encoded(item, encoded[key], decode)
    elif isinstance(template, list):
        assert isinstance(encoded, list) and len(encoded) == len(template)
        for item, value in zip(template, encoded):
            check_encoded(item, value, decode)
    else:
        assert encoded == template and type(encoded) is type(template)


def decode_upload_url(url: str) -> bytes:
    assert url.startswith(UPLOAD_ORIGIN + "/")
    return binascii.unhexlify(url[len(UPLOAD_ORIGIN) + 1 :])


def decode_base64_uri(uri: str) -> bytes:
    header, _, payload = uri.partition(",")
    assert header.startswith("data:") and header.endswith(";base64")
    return base64.b64decode(payload, validate=True)


@SLOW
@given(value=nested(json_scalars), strategy=st.sampled_from([None, "url", "base64"]), asynchronous=st.booleans())
def test_json_values_come_back_equal_without_requests(value: Any, strategy: Any, asynchronous: bool) -> None:
    def no_requests(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request {request.method} {request.url}")

    client = Client(api_token="r8_test", transport=httpx.MockTransport(no_requests))
    encoded = encode(value, client, strategy, asynchronous)
    check_encoded(value, encoded, decode_upload_url)


@SLOW
@given(template=nested(json_scalars | blobs), asynchronous=st.booleans())
def test_file_leaves_become_upload_urls_of_their_bytes(template: Any, asynchronous: bool) -> None:
    encoded = encode(with_files(template), upload_client(), "url", asynchronous)
    check_encoded(template, encoded, decode_upload_url)


@SLOW
@given(template=nested(json_scalars | blobs), asynchronous=st.booleans())
def test_file_leaves_become_data_uris_of_their_bytes(template: Any, asynchronous: bool) -> None:
    def no_requests(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"the base64 strategy uploaded {request.url}")

    client = Client(api_token="r8_test", transport=httpx.MockTransport(no_requests))
    encoded = encode(with_files(template), client, "base64", asynchronous)
    check_encoded(template, encoded, decode_base64_uri)


Step = Union[str, Tuple[int, int]]  # a dict key, or (index, length) of a list
steps = st.one_of(
    st.text(max_size=6),
    st.integers(min_value=1, max_value=4).flatmap(lambda size: st.tuples(st.integers(0, size - 1), st.just(size))),
)
BAD_LEAVES: List[Tuple[Callable[[], Any], type]] = [
    (object, TypeError),
    (lambda: float("nan"), ValueError),
    (lambda: float("inf"), ValueError),
    (lambda: float("-inf"), ValueError),
]


def place_bad_leaf(path: List[Step], leaf: Any, filler: Any) -> Tuple[Any, str]:
    """An input with `leaf` at `path` (siblings are `filler`), and the place its error must name."""
    value = leaf
    for step in reversed(path):
        if isinstance(step, str):
            value = {"before": filler, step: value} if step != "before" else {step: value}
        else:
            index, size = step
            value = [value if position == index else filler for position in range(size)]
    place = "input" + "".join(f"[{step!r}]" if isinstance(step, str) else f"[{step[0]}]" for step in path)
    return value, place


@SLOW
@given(
    path=st.lists(steps, max_size=5),
    bad=st.sampled_from(BAD_LEAVES),
    filler=json_scalars,
    strategy=st.sampled_from(["url", "base64"]),
    asynchronous=st.booleans(),
)
def test_values_json_cannot_carry_raise_naming_their_place(
    path: List[Step], bad: Tuple[Callable[[], Any], type], filler: Any, strategy: str, asynchronous: bool
) -> None:
    make, error = bad
    value, place = place_bad_leaf(path, make(), filler)
    with pytest.raises((TypeError, ValueError)) as caught:
        encode(value, upload_client(), strategy, asynchronous)
    assert isinstance(caught.value, error)
    # The exact place: not a parent of it, nor a child.
    assert re.search(re.escape(place) + r"(?![\[])", str(caught.value)), (place, str(caught.value))


# --- Retry-After -----------------------------------------------------------------------------

NOW = datetime.datetime(2025, 6, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
number_strings = st.one_of(
    st.integers(min_value=0).map(str),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False).map(repr),
    st.decimals(min_value=0, max_value=10**9, allow_nan=False, allow_infinity=False, places=3).map(str),
)


@FAST
@given(value=number_strings, padding=st.sampled_from(["", " ", "\t", "  "]))
def test_non_negative_numbers_are_seconds(value: str, padding: str) -> None:
    assert parse_retry_after(padding + value + padding, now=NOW) == float(value)


@FAST
@given(moment=st.datetimes(min_value=datetime.datetime(1970, 1, 2), max_value=datetime.datetime(9999, 1, 1)))
def test_http_dates_are_seconds_from_now(moment: datetime.datetime) -> None:
    moment = moment.replace(microsecond=0, tzinfo=datetime.timezone.utc)
    header = email.utils.format_datetime(moment, usegmt=True)
    assert parse_retry_after(header, now=NOW) == max(0.0, (moment - NOW).total_seconds())


date_like = st.builds(
    "{}, {} {} {} {}:{}:{} {}".format,
    st.sampled_from(["Mon", "Sun", "Xyz", ""]),
    st.integers(-5, 40),
    st.sampled_from(["Jan", "Feb", "Dec", "Foo"]),
    st.integers(-10, 10**6),
    st.integers(-1, 99),
    st.integers(-1, 99),
    st.integers(-1, 99),
    st.sampled_from(["GMT", "UTC", "+0000", "-9999", "+2400", "EST", "", "Z"]),
)


@FAST
@given(value=st.text(max_size=40) | date_like | st.none())
def test_arbitrary_text_never_raises(value: Any) -> None:
    result = parse_retry_after(value, now=NOW)
    assert result is None or (isinstance(result, float) and result >= 0)
