"""Files API (upload, list, get, delete, signed download), delivery and Range requests."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from replicate.emulator import Emulator

from .conftest import api_client


def upload(
    client: httpx.Client,
    content: bytes,
    filename: str = "hello.txt",
    content_type: str = "text/plain",
    **data,
):
    return client.post("/v1/files", files={"content": (filename, content, content_type)}, data=data)


def test_upload_get_list_delete(client: httpx.Client, emu: Emulator) -> None:
    content = b"hello emulator\n" * 100
    response = upload(client, content, metadata=json.dumps({"customer_reference_id": 123}))
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "hello.txt"
    assert body["content_type"] == "text/plain"
    assert body["size"] == len(content)
    assert body["checksums"] == {
        "sha256": hashlib.sha256(content).hexdigest(),
        "md5": hashlib.md5(content).hexdigest(),
    }
    assert body["etag"] == hashlib.md5(content).hexdigest()
    assert body["metadata"] == {"customer_reference_id": 123}
    assert body["urls"]["get"] == f"{emu.base_url}/v1/files/{body['id']}"
    assert body["expires_at"] > body["created_at"]

    assert client.get(f"/v1/files/{body['id']}").json() == body
    assert body["id"] in [f["id"] for f in client.get("/v1/files").json()["results"]]
    assert client.delete(f"/v1/files/{body['id']}").status_code == 204
    assert client.get(f"/v1/files/{body['id']}").status_code == 404
    assert client.delete(f"/v1/files/{body['id']}").status_code == 404


def test_upload_fields_override_part_headers(client: httpx.Client) -> None:
    body = upload(
        client,
        b"{}",
        filename="x.bin",
        content_type="application/octet-stream",
        type="application/json",
    ).json()
    assert body["content_type"] == "application/json"
    named = client.post(
        "/v1/files", files={"content": ("ignored.bin", b"data")}, data={"filename": "real.dat"}
    ).json()
    assert named["name"] == "real.dat"


def test_upload_without_content_or_bad_metadata(client: httpx.Client) -> None:
    assert (
        client.post("/v1/files", data={"filename": "x"}, files={"other": ("a", b"b")}).status_code
        == 422
    )
    assert upload(client, b"x", metadata="{not json").status_code == 422
    assert client.post("/v1/files", json={"content": "x"}).status_code == 415


def test_upload_limit_is_413(make_emulator) -> None:
    emu = make_emulator(demo_models=False, max_upload_bytes=1000)
    with api_client(emu) as http:
        response = upload(http, b"x" * 1500)
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert upload(http, b"x" * 1000).status_code == 201
    assert os.listdir(emu.uploads_dir) and len(os.listdir(emu.uploads_dir)) == 1


def test_large_upload_is_streamed_to_disk(client: httpx.Client, emu: Emulator) -> None:
    content = os.urandom(8 * 1024 * 1024)
    body = upload(
        client, content, filename="big.bin", content_type="application/octet-stream"
    ).json()
    assert body["size"] == len(content)
    assert body["checksums"]["sha256"] == hashlib.sha256(content).hexdigest()
    stored = emu.state.files[body["id"]].path
    assert stored.startswith(emu.uploads_dir) and os.path.getsize(stored) == len(content)


def test_signed_download(client: httpx.Client, emu: Emulator) -> None:
    content = b"signed content"
    body = upload(client, content).json()
    url = emu.signed_download_url(body["id"])
    query = parse_qs(urlsplit(url).query)
    assert set(query) == {"owner", "expiry", "signature"}
    # The documented scheme, computed independently.
    expected = base64.b64encode(
        __import__("hmac")
        .new(
            emu.download_signer.secret,
            f"{query['owner'][0]} {body['id']} {query['expiry'][0]}".encode(),
            hashlib.sha256,
        )
        .digest()
    ).decode()
    assert query["signature"][0] == expected
    response = httpx.get(url)  # no Authorization needed: the signature is the credential
    assert response.status_code == 200 and response.content == content
    assert response.headers["content-type"] == "application/octet-stream"
    assert response.headers["content-disposition"] == 'inline; filename="hello.txt"'

    tampered = url.replace("owner=emulator", "owner=mallory")
    assert httpx.get(tampered).status_code == 403
    expired = emu.signed_download_url(body["id"], expiry=int(time.time()) - 10)
    assert httpx.get(expired).status_code == 403
    assert (
        httpx.get(emu.base_url + "/v1/files/nope/download?owner=a&expiry=1&signature=x").status_code
        == 404
    )


def _image_url(client: httpx.Client, size: int = 64) -> str:
    body = client.post(
        "/v1/models/replicate/image-maker/predictions",
        json={"input": {"width": size, "height": size}},
        headers={"Prefer": "wait"},
    ).json()
    return body["output"]


def test_delivery_serves_png_with_length_and_type(client: httpx.Client, emu: Emulator) -> None:
    url = _image_url(client)
    assert url.startswith(emu.delivery_url + "/delivery/")
    response = httpx.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.headers["accept-ranges"] == "bytes"
    assert response.content.startswith(b"\x89PNG\r\n\x1a\n")
    head = httpx.head(url)
    assert (
        head.status_code == 200
        and head.headers["content-length"] == response.headers["content-length"]
    )


@pytest.mark.parametrize(
    "range_header,expected_slice",
    [
        ("bytes=0-9", slice(0, 10)),
        ("bytes=10-", slice(10, None)),
        ("bytes=-5", slice(-5, None)),
        ("bytes=5-1000000", slice(5, None)),
    ],
)
def test_range_requests(client: httpx.Client, range_header: str, expected_slice: slice) -> None:
    url = _image_url(client, 16)
    full = httpx.get(url).content
    response = httpx.get(url, headers={"Range": range_header})
    assert response.status_code == 206
    assert response.content == full[expected_slice]
    start = (
        expected_slice.start
        if expected_slice.start is None or expected_slice.start >= 0
        else len(full) + expected_slice.start
    )
    start = start or 0
    assert (
        response.headers["content-range"]
        == f"bytes {start}-{start + len(response.content) - 1}/{len(full)}"
    )


def test_unsatisfiable_range_is_416(client: httpx.Client) -> None:
    url = _image_url(client, 4)
    response = httpx.get(url, headers={"Range": "bytes=999999-"})
    assert response.status_code == 416
    assert response.headers["content-range"].startswith("bytes */")


def test_range_can_be_disabled(client: httpx.Client, emu: Emulator) -> None:
    url = _image_url(client, 8)
    emu.delivery_supports_range = False
    response = httpx.get(url, headers={"Range": "bytes=0-3"})
    assert response.status_code == 200
    assert "accept-ranges" not in response.headers
    assert response.content.startswith(b"\x89PNG")


def test_delivery_records_authorization_headers(emu: Emulator, client: httpx.Client) -> None:
    url = _image_url(client, 4)
    httpx.get(url, headers={"Authorization": "Bearer leaked"})
    httpx.get(url)
    recorded = [r for r in emu.stats.delivery_requests if r.path == urlsplit(url).path]
    assert [r.headers.get("authorization") for r in recorded[-2:]] == ["Bearer leaked", None]
    assert all(r.origin == "delivery" for r in recorded)


def test_uploaded_file_reaches_a_path_input(client: httpx.Client, emu: Emulator) -> None:
    content = os.urandom(2048)
    file = upload(
        client, content, filename="input.bin", content_type="application/octet-stream"
    ).json()
    body = client.post(
        "/v1/models/replicate/echo-file/predictions",
        json={"input": {"file": file["urls"]["get"]}},
        headers={"Prefer": "wait"},
    ).json()
    assert body["status"] == "processing", body
    assert "received input.bin (2048 bytes)" in body["logs"]
    assert httpx.get(body["output"]).content == content


def test_data_uri_and_delivery_url_inputs(client: httpx.Client, emu: Emulator) -> None:
    payload = b"tiny file"
    data_uri = "data:text/plain;base64," + base64.b64encode(payload).decode()
    first = client.post(
        "/v1/models/replicate/echo-file/predictions",
        json={"input": {"file": data_uri}},
        headers={"Prefer": "wait"},
    ).json()
    assert httpx.get(first["output"]).content == payload
    assert first["output"].endswith(".txt")
    second = client.post(
        "/v1/models/replicate/echo-file/predictions",
        json={"input": {"file": first["output"]}},
        headers={"Prefer": "wait"},
    ).json()
    assert httpx.get(second["output"]).content == payload


def test_bytes_input_and_non_loopback_urls(client: httpx.Client, emu: Emulator) -> None:
    def size(blob: bytes) -> int:
        return len(blob)

    name = f"acme/size-{uuid.uuid4().hex[:6]}"
    emu.add_model(name, size)
    ok = client.post(
        f"/v1/models/{name}/predictions",
        json={"input": {"blob": "data:,hello"}},
        headers={"Prefer": "wait"},
    ).json()
    assert ok["output"] == 5
    remote = client.post(
        f"/v1/models/{name}/predictions",
        json={"input": {"blob": "https://example.invalid/file.bin"}},
        headers={"Prefer": "wait"},
    ).json()
    assert remote["status"] == "failed"
    assert "non-loopback" in remote["error"]


def test_large_delivery_streams_in_constant_memory(emu: Emulator, tmp_path) -> None:
    import tracemalloc

    size = 64 * 1024 * 1024
    source = tmp_path / "big.bin"
    with open(source, "wb") as handle:
        handle.truncate(size)  # sparse: cheap to create
    record = emu.delivery.add_path(str(source))
    url = emu.delivery_link(record)
    tracemalloc.start()
    received = 0
    with httpx.stream("GET", url, timeout=60) as response:
        for chunk in response.iter_raw(1024 * 1024):
            received += len(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert received == size
    assert peak < 32 * 1024 * 1024


def test_sync_mode_can_answer_with_data_uris(client: httpx.Client, emu: Emulator) -> None:
    emu.sync_mode_data_uris = True
    try:
        held = client.post(
            "/v1/models/replicate/image-maker/predictions",
            json={"input": {"width": 3, "height": 3}},
            headers={"Prefer": "wait"},
        ).json()
    finally:
        emu.sync_mode_data_uris = False
    assert held["output"].startswith("data:image/png;base64,")
    png = base64.b64decode(held["output"].split(",", 1)[1])
    assert png.startswith(b"\x89PNG")
    stored = client.get(f"/v1/predictions/{held['id']}").json()["output"]
    assert stored.startswith(emu.delivery_url) and httpx.get(stored).content == png


def test_api_responses_carry_rate_limit_headers(client: httpx.Client) -> None:
    response = client.get("/v1/account")
    assert response.headers["ratelimit-remaining"] == "599"
    assert response.headers["ratelimit-reset"] == "1"


def test_non_ascii_file_names_download(client: httpx.Client, emu: Emulator) -> None:
    body = upload(client, b"bonjour", filename="données été.txt").json()
    assert body["name"] == "données été.txt"
    response = httpx.get(emu.signed_download_url(body["id"]))
    assert response.status_code == 200 and response.content == b"bonjour"
    assert (
        "filename*=UTF-8''donn%C3%A9es%20%C3%A9t%C3%A9.txt"
        in response.headers["content-disposition"]
    )
