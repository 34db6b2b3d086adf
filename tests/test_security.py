"""Security and robustness: hostile ids, secrets in text, failing networks, proxies, deadlines,
loops, forks, pickles, odd answers, odd inputs and construction mistakes.

Each test states what reached the server (nothing destructive, nothing duplicated) and what the
caller saw. Tests that matter over sockets use real loopback sockets.
"""

from __future__ import annotations

import asyncio
import copy
import json
import logging
import multiprocessing
import os
import pickle
import socket
import ssl
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Tuple
from urllib.parse import unquote

import httpx
import namespace_helpers
import pytest
from deadlines import bounded
from hypothesis import given, settings
from hypothesis import strategies as st

from replicate.account import Account
from replicate.client import Client
from replicate.collection import Collection
from replicate.deployment import Deployment
from replicate.exceptions import AuthenticationError, ModelError, NotFoundError, ReplicateError
from replicate.file import File
from replicate.model import Model
from replicate.pagination import Page, parse_page
from replicate.prediction import Prediction
from replicate.stream import StreamingError
from replicate.training import Training
from replicate.version import Version

TOKEN = "r8_securityTestToken0123456789abcdefWXYZ"
modes = pytest.mark.parametrize("mode", ["sync", "async"])
PROPERTY = settings(max_examples=60, deadline=None)
CERT = Path(__file__).parent / "data" / "loopback-cert.pem"
KEY = Path(__file__).parent / "data" / "loopback-key.pem"
PREDICTION: Dict[str, Any] = {"id": "p1", "version": "v", "status": "succeeded", "input": {}, "output": "ok", "urls": {}}


def run_mode(mode: str, sync: Callable[[], Any], make_async: Callable[[], Any]) -> Any:
    """Run the sync form, or the async form in a fresh event loop."""
    if mode == "sync":
        return sync()
    return asyncio.run(make_async())


def http_response(status: int, body: bytes, content_type: str = "application/json", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


def json_response(status: int, body: Any) -> bytes:
    return http_response(status, json.dumps(body).encode())


class LoopbackServer:
    """A tiny HTTP/1.1 server on 127.0.0.1: `handle(head, body)` gives the bytes to answer,
    or takes the socket itself when it has a `raw` attribute. Records every request."""

    def __init__(self, handle: Callable[..., Any], tls: bool = False) -> None:
        self.handle = handle
        self.requests: List[Tuple[str, Dict[str, str], bytes]] = []
        self.connections = 0
        self.open_connections = 0
        self.connection_of: Dict[str, int] = {}  # request path -> the connection it came on
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self._tls: Optional[ssl.SSLContext] = None
        if tls:
            self._tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self._tls.load_cert_chain(str(CERT), str(KEY))
        self._stopping = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{'https' if self._tls else 'http'}://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while not self._stopping:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._connection, args=(conn, self.connections), daemon=True).start()

    def _connection(self, conn: socket.socket, number: int) -> None:
        self.open_connections += 1
        try:
            if self._tls is not None:
                conn = self._tls.wrap_socket(conn, server_side=True)
            reader = conn.makefile("rb")
            while True:
                line = reader.readline()
                if not line:
                    return
                head = line.decode("latin-1").strip()
                headers: Dict[str, str] = {}
                while True:
                    header = reader.readline().decode("latin-1").strip()
                    if not header:
                        break
                    name, _, value = header.partition(":")
                    headers[name.strip().lower()] = value.strip()
                body = reader.read(int(headers.get("content-length", "0")))
                self.requests.append((head, headers, body))
                self.connection_of[head.split()[1] if " " in head else head] = number
                if getattr(self.handle, "raw", False):
                    self.handle(conn, head, headers)
                    return
                conn.sendall(self.handle(head, headers, body))
        except (OSError, ssl.SSLError):
            pass
        finally:
            conn.close()
            self.open_connections -= 1

    def close(self) -> None:
        self._stopping = True
        self._thread.join(timeout=2)
        self._listener.close()

    def __enter__(self) -> LoopbackServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class Recorder:
    """A transport that records each request and answers a generic succeeded prediction."""

    def __init__(self, answer: Optional[Callable[[httpx.Request], httpx.Response]] = None) -> None:
        self.requests: List[httpx.Request] = []
        self._answer = answer

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        if self._answer is not None:
            return self._answer(request)
        return httpx.Response(
            200, json={"id": "p1", "status": "succeeded", "output": "ok", "input": {}, "urls": {}}
        )

    def client(self, **kwargs: Any) -> Client:
        kwargs.setdefault("api_token", TOKEN)
        kwargs.setdefault("poll_interval", 0.001)
        return Client(transport=httpx.MockTransport(self), **kwargs)


# --- 1. ids and path segments ----------------------------------------------------------------


def _model(client: Client) -> Model:
    return Model.model_validate(
        {"owner": "acme", "name": "m", "url": "u", "visibility": "public", "run_count": 0}, context={"client": client}
    )


# (what is called, the argument it names, the path it must reach with `{}` for the value)
PATH_BUILDERS: List[Tuple[str, Callable[[Client, str], Any], str, str]] = [
    ("predictions.get", lambda c, v: c.predictions.get(v), "id", "/v1/predictions/{}"),
    ("predictions.cancel", lambda c, v: c.predictions.cancel(v), "id", "/v1/predictions/{}/cancel"),
    ("trainings.get", lambda c, v: c.trainings.get(v), "id", "/v1/trainings/{}"),
    ("trainings.cancel", lambda c, v: c.trainings.cancel(v), "id", "/v1/trainings/{}/cancel"),
    ("files.get", lambda c, v: c.files.get(v), "file_id", "/v1/files/{}"),
    ("files.delete", lambda c, v: c.files.delete(v), "file_id", "/v1/files/{}"),
    (
        "files.download",
        lambda c, v: c.files.download(v, owner="o", expiry=1, signature="s"),
        "file_id",
        "/v1/files/{}/download",
    ),
    ("collections.get", lambda c, v: c.collections.get(v), "slug", "/v1/collections/{}"),
    # An empty owner or name gets v0's "Both 'owner' and 'name' must be provided ..." message.
    ("models.get(owner)", lambda c, v: c.models.get(v, "m"), "owner", "/v1/models/{}/m"),
    ("models.get(name)", lambda c, v: c.models.get("acme", v), "name", "/v1/models/acme/{}"),
    ("models.delete", lambda c, v: c.models.delete("acme", v), "name", "/v1/models/acme/{}"),
    (
        "models.versions.get",
        lambda c, v: c.models.versions.get("acme", "m", v),
        "id",
        "/v1/models/acme/m/versions/{}",
    ),
    (
        "models.versions.delete",
        lambda c, v: c.models.versions.delete("acme", "m", v),
        "id",
        "/v1/models/acme/m/versions/{}",
    ),
    ("model.versions.get", lambda c, v: _model(c).versions.get(v), "id", "/v1/models/acme/m/versions/{}"),
    (
        "model.versions.delete",
        lambda c, v: _model(c).versions.delete(v),
        "id",
        "/v1/models/acme/m/versions/{}",
    ),
    (
        "models.predictions.create",
        lambda c, v: c.models.predictions.create(model=("acme", v), input={}),
        "model name",
        "/v1/models/acme/{}/predictions",
    ),
    (
        "deployments.get",
        lambda c, v: c.deployments.get(deployment_owner="acme", deployment_name=v),
        "deployment name",
        "/v1/deployments/acme/{}",
    ),
    (
        "deployments.delete",
        lambda c, v: c.deployments.delete("acme", v),
        "deployment name",
        "/v1/deployments/acme/{}",
    ),
    (
        "deployments.predictions.create",
        lambda c, v: c.deployments.predictions.create(deployment=(v, "d"), input={}),
        "deployment owner",
        "/v1/deployments/{}/d/predictions",
    ),
    (
        "trainings.create",
        lambda c, v: c.trainings.create(model="acme/m", version=v, input={}, destination="a/b"),
        "version",
        "/v1/models/acme/m/versions/{}/trainings",
    ),
]
builders = pytest.mark.parametrize(
    "call, argument, template", [case[1:] for case in PATH_BUILDERS], ids=[case[0] for case in PATH_BUILDERS]
)


def _segments(request: httpx.Request) -> List[str]:
    return request.url.raw_path.decode("ascii").split("?")[0].split("/")


def _check_path_builder(call: Callable[[Client, str], Any], argument: str, template: str, value: str) -> None:
    recorder = Recorder()
    client = recorder.client()
    try:
        call(client, value)
    except ValueError as exc:
        assert not recorder.requests, "a rejected id must not reach the server"
        assert argument in str(exc)
        assert value in ("", ".", ".."), f"{value!r} was refused: {exc}"
        return
    except ReplicateError:
        pass  # the generic answer need not fit this operation: only the request matters here
    assert value not in ("", ".", ".."), "dot segments must never be sent"
    request = recorder.requests[0]
    expected = template.split("/")
    sent = _segments(request)
    assert len(sent) == len(expected), (value, request.url.raw_path)
    position = expected.index("{}")
    assert unquote(sent[position]) == value
    assert [s for i, s in enumerate(sent) if i != position] == [s for i, s in enumerate(expected) if i != position]


@builders
@pytest.mark.parametrize("value", ["", ".", ".."])
def test_dot_segments_and_empty_ids_are_refused_before_any_request(
    call: Callable[[Client, str], Any], argument: str, template: str, value: str
) -> None:
    recorder = Recorder()
    with pytest.raises(ValueError, match=argument):
        call(recorder.client(), value)
    assert recorder.requests == []


@builders
@PROPERTY
@given(value=st.text(max_size=12) | st.sampled_from(["..", ".", "../..", "%2e%2e", "a/../b", "?x=1", "#f", "..\\"]))
def test_any_id_stays_inside_its_own_segment(
    call: Callable[[Client, str], Any], argument: str, template: str, value: str
) -> None:
    _check_path_builder(call, argument, template, value)


@modes
@pytest.mark.parametrize("ref", ["acme/..", "../m", "./.", "acme/.:v1"])
def test_run_with_a_dot_segment_ref_sends_nothing(mode: str, ref: str) -> None:
    recorder = Recorder()
    client = recorder.client()
    with pytest.raises(ValueError, match="Invalid reference to model version"):
        if mode == "sync":
            client.run(ref, input={})
        else:
            asyncio.run(client.async_run(ref, input={}))
    assert recorder.requests == []


def test_async_twins_refuse_dot_segments_too() -> None:
    recorder = Recorder()
    client = recorder.client()

    async def attempts() -> None:
        for make in (
            lambda: client.predictions.async_cancel(".."),
            lambda: client.files.async_delete(".."),
            lambda: client.models.versions.async_delete("acme", "m", ".."),
            lambda: client.deployments.async_delete("acme", "."),
        ):
            with pytest.raises(ValueError):
                await make()

    asyncio.run(attempts())
    assert recorder.requests == []


# --- 2. secrets never in text ---------------------------------------------------------------


def _authorization_seen(mode: str, **client_kwargs: Any) -> str:
    with LoopbackServer(lambda head, headers, body: json_response(200, PREDICTION)) as server:
        client = Client(base_url=server.url, **client_kwargs)
        run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
        return server.requests[0][1]["authorization"]


@modes
def test_surrounding_whitespace_is_stripped_from_every_token_source(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _authorization_seen(mode, api_token=f" {TOKEN}\n") == f"Bearer {TOKEN}"
    monkeypatch.setenv("REPLICATE_API_TOKEN", f"{TOKEN}\r\n")
    assert _authorization_seen(mode) == f"Bearer {TOKEN}"


@modes
@pytest.mark.parametrize("bad", ["r8_abc\ndef0123456789", "r8_abc\x00def0123456789", "r8_abc\u00e9def0123456789"])
def test_a_token_that_cannot_go_in_a_header_is_refused_without_showing_it(mode: str, bad: str) -> None:
    with LoopbackServer(lambda head, headers, body: json_response(200, PREDICTION)) as server:
        client = Client(api_token=bad, base_url=server.url)
        with pytest.raises(httpx.LocalProtocolError) as caught:
            run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
    message = str(caught.value)
    assert "API token" in message and "REPLICATE_API_TOKEN" in message
    assert "def0123456789" not in message and "def0123456789" not in repr(caught.value)
    assert server.requests == []


ECHOES: Dict[str, Callable[[str], bytes]] = {
    "json detail": lambda auth: json_response(500, {"detail": f"bad header: {auth}", "status": 500}),
    "json title": lambda auth: json_response(400, {"title": f"got {auth}", "detail": "no", "status": 400}),
    "text": lambda auth: http_response(502, f"upstream rejected {auth}".encode(), "text/plain"),
    "html": lambda auth: http_response(403, f"<html><body><pre>{auth}</pre></body></html>".encode(), "text/html"),
}


@modes
@pytest.mark.parametrize("shape", list(ECHOES))
def test_a_token_echoed_by_the_server_is_redacted_from_the_error(
    mode: str, shape: str, caplog: pytest.LogCaptureFixture
) -> None:
    echo = ECHOES[shape]
    with LoopbackServer(lambda head, headers, body: echo(headers["authorization"])) as server:
        client = Client(api_token=TOKEN, base_url=server.url)
        client._retry_options["max_attempts"] = 1
        with caplog.at_level(logging.DEBUG), pytest.raises(ReplicateError) as caught:
            run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
    error = caught.value
    for text in (str(error), repr(error), error.detail or "", error.title or "", caplog.text):
        assert TOKEN not in text
    assert "r8_…WXYZ" in str(error)
    assert error.response is not None and TOKEN in error.response.text  # the body itself is kept
    assert len(server.requests) == 1


@modes
def test_a_huge_detail_is_cut_with_a_note_and_the_body_kept(mode: str) -> None:
    detail = "x" * 10_000_000
    with LoopbackServer(lambda head, headers, body: json_response(422, {"detail": detail, "title": "t" * 50_000})) as server:
        client = Client(api_token=TOKEN, base_url=server.url)
        with pytest.raises(ReplicateError) as caught:
            run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
    error = caught.value
    assert len(str(error)) < 10_000 and len(repr(error)) < 10_000
    assert "9995904 more characters cut" in str(error)
    assert "45904 more characters cut" in str(error)
    assert error.response is not None and len(error.response.json()["detail"]) == 10_000_000


@modes
def test_401_without_a_token_says_none_was_found_and_how_to_set_one(mode: str) -> None:
    unauthorized = {"detail": "Authentication credentials were not provided.", "status": 401}
    with LoopbackServer(lambda head, headers, body: json_response(401, unauthorized)) as server:
        with pytest.raises(AuthenticationError) as without:
            client = Client(base_url=server.url)
            run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
        with pytest.raises(AuthenticationError) as wrong:
            client = Client(api_token=TOKEN, base_url=server.url)
            run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
    assert "No API token was found" in str(without.value) and "REPLICATE_API_TOKEN" in str(without.value)
    assert str(without.value).count("Authentication credentials were not provided.") == 1
    assert "No API token" not in str(wrong.value)
    assert "authorization" not in server.requests[0][1] and "authorization" in server.requests[1][1]


def test_a_model_error_echoing_the_token_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    failed = {**PREDICTION, "status": "failed", "error": f"auth {TOKEN} refused", "output": None}
    recorder = Recorder(lambda request: httpx.Response(200, json=failed))
    client = recorder.client()
    prediction = client.predictions.get("p1")
    error = ModelError(prediction)
    assert TOKEN not in str(error) and "r8_…WXYZ" in str(error)
    assert prediction.error == failed["error"]  # the prediction keeps what the server sent
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    unbound = Prediction.model_validate(failed)
    assert TOKEN not in str(ModelError(unbound))


# --- 3. networks that fail ------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@modes
@pytest.mark.parametrize("setting", ["base_url", "REPLICATE_BASE_URL"])
def test_a_closed_port_fails_in_seconds_naming_the_host_and_setting(
    mode: str, setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"http://127.0.0.1:{_closed_port()}"
    if setting == "base_url":
        client = Client(api_token=TOKEN, base_url=url)
    else:
        monkeypatch.setenv("REPLICATE_BASE_URL", url)
        client = Client(api_token=TOKEN)
    with bounded(8), pytest.raises(httpx.ConnectError) as caught:
        run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
    message = str(caught.value)
    assert url in message and f"set by {setting}" in message
    assert TOKEN not in message


def _failing_transport(cause: BaseException, attempts: List[httpx.Request]) -> httpx.MockTransport:
    def fail(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        try:
            raise cause
        except BaseException as exc:
            raise httpx.ConnectError(str(exc), request=request) from exc

    return httpx.MockTransport(fail)


@modes
@pytest.mark.parametrize(
    "cause",
    [socket.gaierror(-2, "Name or service not known"), ssl.SSLCertVerificationError(1, "certificate verify failed")],
    ids=["dns", "tls"],
)
def test_dns_and_certificate_failures_are_not_retried(mode: str, cause: BaseException) -> None:
    attempts: List[httpx.Request] = []
    client = Client(api_token=TOKEN, base_url="https://api.example.test", transport=_failing_transport(cause, attempts))
    with pytest.raises(httpx.ConnectError) as caught:
        run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
    assert len(attempts) == 1
    assert "https://api.example.test" in str(caught.value) and "base_url" in str(caught.value)


@modes
def test_refused_connections_are_retried_within_a_short_total(mode: str) -> None:
    attempts: List[httpx.Request] = []
    client = Client(api_token=TOKEN, transport=_failing_transport(ConnectionRefusedError(111, "refused"), attempts))
    with bounded(8), pytest.raises(httpx.ConnectError) as caught:
        run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
    assert 2 <= len(attempts) <= 8
    assert "https://api.replicate.com" in str(caught.value) and "set by default" in str(caught.value)


@modes
def test_an_untrusted_certificate_fails_at_once_over_a_real_socket(mode: str) -> None:
    with LoopbackServer(lambda head, headers, body: json_response(200, PREDICTION), tls=True) as server:
        client = Client(api_token=TOKEN, base_url=server.url, trust_env=False)
        with bounded(5), pytest.raises(httpx.ConnectError) as caught:
            run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
        time.sleep(0.1)
    assert "CERTIFICATE_VERIFY_FAILED" in str(caught.value) and server.url in str(caught.value)
    assert server.connections == 1 and server.requests == []


# --- 3b. environment proxies and certificates -------------------------------------------------


def _proxy_answer(head: str, headers: Dict[str, str], body: bytes) -> bytes:
    return json_response(200, {**PREDICTION, "id": "via-proxy"})


def _api_answer(head: str, headers: Dict[str, str], body: bytes) -> bytes:
    return json_response(200, {**PREDICTION, "id": "direct"})


@modes
@pytest.mark.parametrize("variable", ["HTTP_PROXY", "http_proxy", "ALL_PROXY"])
def test_environment_proxies_are_honoured(mode: str, variable: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with LoopbackServer(_proxy_answer) as proxy, LoopbackServer(_api_answer) as api:
        monkeypatch.setenv(variable, proxy.url)
        client = Client(api_token=TOKEN, base_url=api.url)
        got = run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
    assert got.id == "via-proxy"
    assert proxy.requests[0][0] == f"GET {api.url}/v1/predictions/p1 HTTP/1.1"  # absolute form
    assert api.requests == []


@modes
@pytest.mark.parametrize("bypass", ["NO_PROXY", "trust_env=False"])
def test_no_proxy_and_trust_env_false_go_direct(mode: str, bypass: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with LoopbackServer(_proxy_answer) as proxy, LoopbackServer(_api_answer) as api:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        options: Dict[str, Any] = {}
        if bypass == "NO_PROXY":
            monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        else:
            options["trust_env"] = False
        client = Client(api_token=TOKEN, base_url=api.url, **options)
        got = run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
    assert got.id == "direct" and proxy.requests == [] and len(api.requests) == 1


@modes
def test_ssl_cert_file_is_honoured_unless_trust_env_is_false(mode: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(CERT))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with LoopbackServer(_api_answer, tls=True) as api:
        client = Client(api_token=TOKEN, base_url=api.url)
        got = run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
        assert got.id == "direct"
        untrusting = Client(api_token=TOKEN, base_url=api.url, trust_env=False)
        with pytest.raises(httpx.ConnectError):
            run_mode(mode, lambda: untrusting.predictions.get("p1"), lambda: untrusting.predictions.async_get("p1"))
    assert len(api.requests) == 1


# --- 8. mistakes caught early ---------------------------------------------------------------


@pytest.mark.parametrize(
    "options, named, suggested",
    [({"api_tokn": TOKEN}, "api_tokn", "api_token"), ({"timout": 5}, "timout", "timeout"), ({"folow_redirects": True}, "folow_redirects", "follow_redirects")],
)
def test_an_unknown_keyword_is_refused_at_construction(options: Dict[str, Any], named: str, suggested: str) -> None:
    with pytest.raises(TypeError) as caught:
        Client(**options)
    assert repr(named) in str(caught.value) and repr(suggested) in str(caught.value)


def test_every_httpx_client_keyword_and_v0_option_is_accepted() -> None:
    client = Client(
        api_token=TOKEN,
        base_url="https://api.example.test",
        timeout=httpx.Timeout(3.0),
        poll_interval=0.1,
        headers={"X-Test": "1"},
        cookies={"c": "1"},
        params={"p": "1"},
        follow_redirects=True,
        max_redirects=3,
        event_hooks={"request": []},
        default_encoding="utf-8",
        trust_env=False,
        verify=True,
        cert=None,
        http1=True,
        limits=httpx.Limits(max_connections=10),
        mounts={},
    )
    assert client.base_url == "https://api.example.test"


def test_http2_without_h2_is_refused_at_construction_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "h2", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"httpx\[http2\]"):
        Client(api_token=TOKEN, http2=True)


# --- 4. deadlines ---------------------------------------------------------------------------

PROCESSING: Dict[str, Any] = {**PREDICTION, "status": "processing", "output": None}


def _misbehaving_api(poll: str, stream: str, stop: threading.Event) -> Callable[..., None]:
    """An API whose prediction never finishes, answering its polls and its stream as told."""

    def send_slowly(conn: socket.socket, head: bytes, pieces: Callable[[], bytes]) -> None:
        conn.sendall(head)
        while not stop.wait(0.2):
            conn.sendall(pieces())

    def handle(conn: socket.socket, request_line: str, headers: Dict[str, str]) -> None:
        behaviour = stream if request_line.startswith("GET /stream") else poll
        body = json.dumps({**PROCESSING, "urls": {"stream": f"http://{headers['host']}/stream/p1"}}).encode()
        if behaviour == "normal":
            conn.sendall(http_response(200, body, extra="Connection: close\r\n"))
        elif behaviour == "retry-after":
            conn.sendall(http_response(503, b"{}", extra="Retry-After: 30\r\nConnection: close\r\n"))
        elif behaviour == "silent":
            stop.wait(30)
        elif behaviour == "trickle":
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"
            if request_line.startswith("GET /stream"):
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\nevent: output\r\ndata: "
            send_slowly(conn, head, lambda: b"x")
        elif behaviour == "keepalive":
            send_slowly(conn, b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n", lambda: b": ping\n\n")

    handle.raw = True  # type: ignore[attr-defined]
    return handle


DEADLINE_CASES = [
    ("poll", "normal", "normal"),
    ("poll", "silent", "normal"),
    ("poll", "trickle", "normal"),
    ("poll", "retry-after", "normal"),
    ("stream", "normal", "keepalive"),
    ("stream", "normal", "silent"),
    ("stream", "normal", "trickle"),
    ("stream", "silent", "silent"),
]


@modes
@pytest.mark.parametrize("strategy, poll, stream", DEADLINE_CASES)
def test_wait_timeout_ends_on_time_whatever_the_server_does(mode: str, strategy: str, poll: str, stream: str) -> None:
    stop = threading.Event()
    with LoopbackServer(_misbehaving_api(poll, stream, stop)) as server:
        client = Client(api_token=TOKEN, base_url=server.url, poll_interval=0.1)
        data = {**PROCESSING, "urls": {"stream": f"{server.url}/stream/p1", "get": f"{server.url}/v1/predictions/p1"}}
        prediction = Prediction.model_validate(data, context={"client": client})
        try:
            with bounded(1.0 + 1.5), pytest.raises(TimeoutError, match="still processing"):
                run_mode(
                    mode,
                    lambda: prediction.wait(timeout=1.0, strategy=strategy),  # type: ignore[arg-type]
                    lambda: prediction.async_wait(timeout=1.0, strategy=strategy),  # type: ignore[arg-type]
                )
        finally:
            stop.set()


# --- 5. loops, forks and pickles --------------------------------------------------------------


def _wait_until(condition: Callable[[], bool], seconds: float = 5.0) -> bool:
    ends = time.monotonic() + seconds
    while not condition() and time.monotonic() < ends:
        time.sleep(0.02)
    return condition()


def test_no_connection_outlives_its_event_loop() -> None:
    with LoopbackServer(lambda head, headers, body: json_response(200, PREDICTION)) as server:
        client = Client(api_token=TOKEN, base_url=server.url)
        for _ in range(20):
            assert asyncio.run(client.predictions.async_get("p1")).id == "p1"
        assert _wait_until(lambda: server.open_connections == 0), f"{server.open_connections} connections left open"
        assert len(client._async_clients) == 0
        assert len(server.requests) == 20


def test_a_loop_closed_without_asyncio_run_is_dropped_on_next_use() -> None:
    with LoopbackServer(lambda head, headers, body: json_response(200, PREDICTION)) as server:
        client = Client(api_token=TOKEN, base_url=server.url)
        for _ in range(3):
            loop = asyncio.new_event_loop()
            loop.run_until_complete(client.predictions.async_get("p1"))
            loop.close()  # no shutdown_asyncgens: nothing closed the client inside the loop
        assert len(client._async_clients) == 1  # only the last loop's, dropped on next use
        assert asyncio.run(client.predictions.async_get("p1")).id == "p1"
        assert len(client._async_clients) == 0


def _pool_api() -> LoopbackServer:
    def answer(head: str, headers: Dict[str, str], body: bytes) -> bytes:
        prediction_id = head.split()[1].rsplit("/", 1)[-1]
        if prediction_id.startswith("bad"):
            return json_response(200, {**PREDICTION, "id": prediction_id, "status": "failed", "error": "boom"})
        return json_response(200, {**PREDICTION, "id": prediction_id})

    return LoopbackServer(answer)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
def test_a_fork_pool_after_the_parent_used_the_client() -> None:
    import pool_workers

    with _pool_api() as server:
        pool_workers.use_client(server.url)
        assert pool_workers.fetch("parent").id == "parent"  # the parent's pool now holds a connection
        context = multiprocessing.get_context("fork")
        with context.Pool(2) as pool:
            results = pool.map(pool_workers.fetch, [f"child-{i}" for i in range(4)])
            with pytest.raises(ModelError) as caught:
                pool.apply(pool_workers.fetch, ("bad-1",))
        assert [r.id for r in results] == [f"child-{i}" for i in range(4)]
        assert caught.value.prediction.error == "boom" and str(caught.value) == "boom"
        assert pool_workers.fetch("parent-again").id == "parent-again"  # the parent's connection still works
        paths = sorted(head.split()[1] for head, _, _ in server.requests)
        assert paths.count("/v1/predictions/bad-1") == 1 and len(paths) == 7
        parent_connection = server.connection_of["/v1/predictions/parent"]
        assert server.connection_of["/v1/predictions/parent-again"] == parent_connection
        for i in range(4):  # the children never wrote on the parent's connection
            assert server.connection_of[f"/v1/predictions/child-{i}"] != parent_connection


def test_a_spawn_pool_returns_predictions_and_raises_model_errors() -> None:
    import pool_workers

    with _pool_api() as server:
        context = multiprocessing.get_context("spawn")
        with context.Pool(1, initializer=pool_workers.use_client, initargs=(server.url,)) as pool:
            results = pool.map(pool_workers.fetch, ["a", "b"])
            with pytest.raises(ModelError) as caught:
                pool.apply(pool_workers.fetch, ("bad-2",))
    assert [r.id for r in results] == ["a", "b"]
    assert caught.value.prediction.id == "bad-2"


def _bound(cls: Any, data: Dict[str, Any], client: Client) -> Any:
    return cls.model_validate(data, context={"client": client})


RESOURCES: Dict[str, Tuple[Any, Dict[str, Any]]] = {
    "prediction": (Prediction, namespace_helpers.PREDICTION),
    "training": (Training, namespace_helpers.TRAINING),
    "model": (Model, namespace_helpers.MODEL),
    "version": (Version, namespace_helpers.VERSION),
    "deployment": (Deployment, namespace_helpers.DEPLOYMENT),
    "collection": (Collection, namespace_helpers.COLLECTION),
    "file": (File, namespace_helpers.FILE),
    "account": (Account, namespace_helpers.ACCOUNT),
}


@pytest.mark.parametrize("kind", list(RESOURCES))
def test_resources_pickle_without_the_client_and_use_the_default_one(kind: str) -> None:
    import replicate

    cls, data = RESOURCES[kind]
    client = Client(api_token=TOKEN)
    resource = _bound(cls, data, client)
    pickled = pickle.dumps(resource)
    assert TOKEN.encode() not in pickled and b"Client" not in pickled
    restored = pickle.loads(pickled)
    assert restored.model_dump() == resource.model_dump() and type(restored) is cls
    assert restored._client is replicate.default_client
    copied = copy.deepcopy(resource)
    assert copied == resource and copied._client is client  # a copy shares the client
    assert resource._client is client  # pickling left the original alone


def test_an_unpickled_prediction_reloads_through_the_default_client(monkeypatch: pytest.MonkeyPatch) -> None:
    import replicate

    with LoopbackServer(lambda head, headers, body: json_response(200, {**PREDICTION, "output": "fresh"})) as server:
        monkeypatch.setattr(replicate, "default_client", Client(api_token=TOKEN, base_url=server.url), raising=False)
        stale = pickle.loads(pickle.dumps(_bound(Prediction, {**PREDICTION, "status": "processing"}, Client())))
        stale.reload()
    assert stale.output == "fresh" and server.requests[0][1]["authorization"] == f"Bearer {TOKEN}"


def test_pages_pickle_and_deep_copy() -> None:
    client = Client(api_token=TOKEN)
    answer = httpx.Response(200, json={"next": "https://api.replicate.com/v1/predictions?cursor=x", "results": [PREDICTION]})
    page = parse_page(Prediction, client)(answer)
    restored = pickle.loads(pickle.dumps(page))
    assert isinstance(restored, Page) and restored.model_dump() == page.model_dump()
    assert TOKEN.encode() not in pickle.dumps(page)
    assert copy.deepcopy(page)._client is client


def test_exceptions_pickle_and_deep_copy_without_the_token() -> None:
    client = Client(api_token=TOKEN)
    failed = _bound(Prediction, {**PREDICTION, "status": "failed", "error": "boom"}, client)
    for error in (ModelError(failed), StreamingError(failed)):
        pickled = pickle.dumps(error)
        assert TOKEN.encode() not in pickled
        restored = pickle.loads(pickled)
        assert type(restored) is type(error) and str(restored) == "boom" and restored.prediction.id == "p1"
        assert copy.deepcopy(error).prediction.error == "boom"
    request = httpx.Request("GET", "https://api.replicate.com/v1/x", headers={"Authorization": f"Bearer {TOKEN}"})
    api_error = ReplicateError.from_response(httpx.Response(404, json={"detail": "nope"}, request=request))
    pickled = pickle.dumps(api_error)
    assert TOKEN.encode() not in pickled
    restored = pickle.loads(pickled)
    assert type(restored) is NotFoundError and restored.detail == "nope" and restored.status == 404
    assert copy.deepcopy(api_error).detail == "nope"


# --- 6. lenient reading ---------------------------------------------------------------------


def _answering(routes: Dict[str, Any]) -> Tuple[Recorder, Client]:
    recorder = Recorder(lambda request: httpx.Response(200, json=routes[request.url.path]))
    return recorder, recorder.client()


@modes
def test_a_null_stream_url_leaves_the_prediction_readable(mode: str) -> None:
    body = {**PREDICTION, "urls": {"get": "https://api.replicate.com/v1/predictions/p1", "stream": None}}
    recorder, client = _answering({"/v1/predictions/p1": body})
    prediction = run_mode(mode, lambda: client.predictions.get("p1"), lambda: client.predictions.async_get("p1"))
    assert prediction.urls == body["urls"] and prediction.output == "ok"
    # waiting by the stream falls back to polling: there is no stream to follow
    run_mode(mode, lambda: prediction.wait(strategy="stream"), lambda: prediction.async_wait(strategy="stream"))
    assert len(recorder.requests) == 1


@modes
def test_one_item_with_an_unknown_status_leaves_the_page_readable(mode: str) -> None:
    page = {"next": None, "previous": None, "results": [{**PREDICTION, "id": "q", "status": "queued"}, PREDICTION]}
    _, client = _answering({"/v1/predictions": page})
    got = run_mode(mode, lambda: client.predictions.list(), lambda: client.predictions.async_list())
    assert [(p.id, p.status) for p in got.results] == [("q", "queued"), ("p1", "succeeded")]


@modes
def test_a_search_collection_whose_models_are_objects_leaves_the_search_readable(mode: str) -> None:
    objects = [{"owner": "acme", "name": "m"}]
    answer = {
        "query": "q",
        "models": [],
        "pages": [{"name": "Docs", "href": "https://replicate.com/docs"}],
        "collections": [
            {"name": "A", "slug": "a", "description": "d", "models": objects},
            {"name": "B", "slug": "b", "description": "d", "models": ["acme/n"]},
        ],
    }
    _, client = _answering({"/v1/search": answer})
    found = run_mode(mode, lambda: client.search("q"), lambda: client.async_search("q"))
    assert found.collections[0].models == objects  # kept as the server sent it
    assert found.collections[1].models == ["acme/n"] and found.pages[0].name == "Docs"


@pytest.mark.parametrize(
    "status, completed_at, finished",
    [("aborted", None, True), ("canceled", None, True), ("queued", None, False), ("queued", "2024-01-01T00:00:00Z", True)],
)
def test_a_status_counts_as_the_end_only_when_it_is(status: str, completed_at: Optional[str], finished: bool) -> None:
    from replicate._polling import has_finished

    prediction = Prediction.model_validate({**PREDICTION, "status": status, "completed_at": completed_at})
    assert prediction.status == status and has_finished(prediction) is finished


@modes
def test_waiting_goes_on_through_an_unknown_status_until_the_end(mode: str) -> None:
    answers = [
        {**PREDICTION, "status": "queued", "output": None},
        {**PREDICTION, "status": "aborted", "output": None},
    ]
    recorder = Recorder(lambda request: httpx.Response(200, json=answers.pop(0) if len(answers) > 1 else answers[0]))
    client = recorder.client()
    prediction = Prediction.model_validate({**PREDICTION, "status": "starting"}, context={"client": client})
    run_mode(mode, lambda: prediction.wait(timeout=5), lambda: prediction.async_wait(timeout=5))
    assert prediction.status == "aborted" and len(recorder.requests) == 2


# --- 7. inputs and webhooks -----------------------------------------------------------------

FILE_ANSWER: Dict[str, Any] = {
    "id": "f1",
    "name": "in.fifo",
    "content_type": "application/octet-stream",
    "size": 10,
    "etag": "e",
    "checksums": {},
    "metadata": {},
    "created_at": "2024-01-01T00:00:00Z",
    "urls": {"get": "https://api.replicate.com/v1/files/f1"},
}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX-only")
@modes
def test_a_fifo_as_an_input_is_uploaded_whole(mode: str, tmp_path: Path) -> None:
    fifo = tmp_path / "in.fifo"
    os.mkfifo(fifo)
    content = b"from a pipe " * 5000

    def write() -> None:
        with open(fifo, "wb") as pipe:
            pipe.write(content)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    with LoopbackServer(lambda head, headers, body: json_response(201, FILE_ANSWER)) as server:
        client = Client(api_token=TOKEN, base_url=server.url)
        uploaded = run_mode(mode, lambda: client.files.create(fifo), lambda: client.files.async_create(fifo))
    writer.join(timeout=5)
    assert uploaded.id == "f1" and len(server.requests) == 1
    _, headers, body = server.requests[0]
    assert int(headers["content-length"]) == len(body) and content in body


def test_an_endless_character_device_is_refused_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    if not os.path.exists("/dev/zero"):
        pytest.skip("no /dev/zero")
    import replicate.file

    monkeypatch.setattr(replicate.file, "MAX_FILE_SIZE", 1024 * 1024)
    recorder = Recorder()
    with pytest.raises(ValueError, match="not a regular file"):
        recorder.client().files.create(Path("/dev/zero"))
    assert recorder.requests == []


@pytest.mark.parametrize("style", ["v0 with tolerance", "newer"])
@pytest.mark.parametrize(
    "headers",
    [
        {"webhook-timestamp": "9" * 5000},
        {"webhook-timestamp": "1e400"},
        {"webhook-signature": "v1," + "A" * 1_000_001},
        {"webhook-signature": "garbage"},
    ],
    ids=["5000-digit timestamp", "float timestamp", "huge signature", "malformed signature"],
)
def test_absurd_webhook_headers_are_validation_errors(style: str, headers: Dict[str, str]) -> None:
    from replicate._sdk import Replicate
    from replicate.webhook import Webhooks, WebhookSigningSecret, WebhookValidationError

    secret = WebhookSigningSecret(key="whsec_c2VjcmV0")
    sent = {"webhook-id": "msg_1", "webhook-timestamp": str(int(time.time())), "webhook-signature": "v1,c2ln", **headers}
    with pytest.raises(WebhookValidationError):
        if style == "newer":
            Replicate(api_token=TOKEN).webhooks.validate(headers=sent, body="{}", secret=secret)
        else:
            Webhooks.validate(headers=sent, body="{}", secret=secret, tolerance=300)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX-only")
def test_a_forked_child_forgets_the_connections_of_every_client_and_copy() -> None:
    client = Client(api_token=TOKEN)
    http = client._client
    clone = copy.copy(client)
    assert clone._client is http  # a shallow copy shares the original's connections
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report whether both start without the parent's HTTP client
        fresh = client._sync_client is None and clone._sync_client is None
        os.write(writer, b"1" if fresh else b"0")
        os._exit(0)
    os.close(writer)
    answer = os.read(reader, 1)
    os.close(reader)
    os.waitpid(pid, 0)
    assert answer == b"1"
    assert client._sync_client is not None  # the parent keeps its own
