"""What a cold start loads: `import replicate`, a Client and one run() pay only for what they use.

Each check runs in a fresh interpreter, so nothing this test session imported counts. There are
no timings here (speed belongs in `make bench`): a regression shows up as a module loaded, a
model built or a TLS context made that the call did not need.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import ssl
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List

import httpx
import pytest

from replicate._transport import DeferredTLSContext
from replicate.client import Client
from replicate.emulator import Emulator
from replicate.emulator._util import new_version_id

TOKEN = "r8_cold"
HELLO_VERSION = new_version_id("replicate-emulator:replicate/hello-world:v1")

# Modules that `import replicate` must not load: the HTTP stack, pydantic, asyncio, the client.
NOT_LOADED_BY_IMPORT = ["asyncio", "httpx", "pydantic", "ssl", "replicate.client"]

# Modules that a sync run() of a model answering inside the hold must not load: it reads the
# answer as plain JSON, so neither pydantic nor any resource module is needed.
NOT_LOADED_BY_RUN = [
    "asyncio",
    "concurrent.futures",
    "html",
    "packaging",
    "pydantic",
    "replicate.model",
    "replicate.pagination",
    "replicate.prediction",
    "replicate.resource",
    "replicate.version",
    "replicate._sdk",
    "replicate.account",
    "replicate.collection",
    "replicate.deployment",
    "replicate.file",
    "replicate.hardware",
    "replicate.search",
    "replicate.stream",
    "replicate.training",
    "replicate.use",
    "replicate.webhook",
]


def run_python(code: str, env: Dict[str, str]) -> Any:
    """Run `code` in a fresh interpreter; the JSON it prints last."""
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def loaded(names: List[str]) -> str:
    """An expression: which of `names` were loaded since `before` was taken (sorted)."""
    return f"sorted(name for name in {names!r} if name in sys.modules and name not in before)"


def test_import_loads_no_http_stack_no_pydantic_and_no_asyncio() -> None:
    code = f"""
        import json, sys
        before = set(sys.modules)
        import replicate
        print(json.dumps({loaded(NOT_LOADED_BY_IMPORT)}))
        """
    assert run_python(code, {}) == []


def test_a_client_loads_httpx_but_no_models_and_no_asyncio() -> None:
    code = f"""
        import json, sys
        import httpx  # with whatever it loads in this environment (pygments loads html, for one)
        before = set(sys.modules)
        import replicate
        client = replicate.Client(api_token="r8_x")
        client._client  # the HTTP client and its pools
        print(json.dumps({loaded(["asyncio", "pydantic", "replicate.prediction", "replicate.pagination"])}))
        """
    assert run_python(code, {}) == []


@pytest.fixture(scope="module")
def emulator() -> Iterator[Emulator]:
    emulator = Emulator(token=TOKEN).start()
    yield emulator
    emulator.stop()


@pytest.mark.parametrize(
    "ref", ["replicate/hello-world", f"replicate/hello-world:{HELLO_VERSION}", HELLO_VERSION]
)
def test_one_run_loads_no_pydantic_and_no_resource_module(emulator: Emulator, ref: str) -> None:
    code = f"""
        import json, os, sys
        import httpx
        # What httpx loads for a request of its own (on Python 3.9, httpcore's first request
        # imports anyio, and anyio concurrent.futures) is not the client's doing.
        httpx.Client().get(os.environ["REPLICATE_BASE_URL"] + "/v1/hardware").close()
        before = set(sys.modules)
        import replicate
        output = replicate.run({ref!r}, input={{"text": "cold"}})
        pools = replicate.default_client._client._transport._wrapped_transport._pools
        print(json.dumps({{
            "output": output,
            "loaded": {loaded(NOT_LOADED_BY_RUN)},
            "tls contexts built": sum(pool._pool._ssl_context._built is not None for pool in pools),
        }}))
        """
    report = run_python(code, {"REPLICATE_API_TOKEN": TOKEN, "REPLICATE_BASE_URL": emulator.base_url})
    assert report == {"output": "hello cold", "loaded": [], "tls contexts built": 0}


def test_a_model_is_built_when_it_first_parses_an_answer(emulator: Emulator) -> None:
    code = """
        import json, replicate
        from replicate.model import Model
        before = Model.__pydantic_complete__
        model = replicate.models.get("replicate/hello-world")
        print(json.dumps([before, Model.__pydantic_complete__, model.name]))
        """
    report = run_python(code, {"REPLICATE_API_TOKEN": TOKEN, "REPLICATE_BASE_URL": emulator.base_url})
    assert report == [False, True, "hello-world"]


def test_a_deferred_model_builds_safely_from_many_threads_at_once() -> None:
    code = """
        import json, threading
        from replicate.prediction import Prediction
        body = json.dumps({"id": "p", "version": "v", "status": "succeeded", "output": "done", "urls": {"get": "u"}})
        start, results = threading.Barrier(32), []

        def parse():
            start.wait()
            try:
                results.append(Prediction.model_validate_json(body).output)
            except Exception as exc:
                results.append(repr(exc))

        threads = [threading.Thread(target=parse) for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        print(json.dumps(sorted(set(results))))
        """
    assert run_python(code, {}) == ["done"]


# --- the TLS context, made on the first TLS connection ---------------------------------------

# A self-signed certificate for 127.0.0.1, shared with the security tests.
CERT = Path(__file__).parent / "data" / "loopback-cert.pem"
KEY = Path(__file__).parent / "data" / "loopback-key.pem"

ACCOUNT = {"type": "user", "username": "cold", "name": "Cold Start", "github_url": None}


@pytest.fixture
def https_server() -> Iterator[Dict[str, Any]]:
    """A loopback HTTPS server answering GET /v1/account; records the ALPN protocol agreed."""
    agreed: List[Any] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            agreed.append(self.connection.selected_alpn_protocol())  # type: ignore[attr-defined]
            body = json.dumps(ACCOUNT).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(CERT, KEY)
    context.set_alpn_protocols(["http/1.1"])
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield {"url": f"https://127.0.0.1:{server.server_address[1]}", "ca": str(CERT), "alpn": agreed}
    finally:
        server.shutdown()
        server.server_close()


def tls_contexts(client: Client) -> List[DeferredTLSContext]:
    pools = client._client._transport._wrapped_transport._pools  # type: ignore[attr-defined]
    return [pool._pool._ssl_context for pool in pools]


def test_the_tls_context_is_made_on_the_first_tls_connection(
    https_server: Dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # httpx's default context trusts SSL_CERT_FILE, read when the context is made.
    monkeypatch.setenv("SSL_CERT_FILE", https_server["ca"])
    client = Client(api_token=TOKEN, base_url=https_server["url"])
    contexts = tls_contexts(client)
    assert len(set(map(id, contexts))) == 1 and contexts[0]._built is None
    assert client.accounts.current().username == "cold"
    built = contexts[0]._built
    assert built is not None and built.verify_mode == ssl.CERT_REQUIRED and built.check_hostname
    assert https_server["alpn"] == ["http/1.1"]  # httpcore's ALPN setting reached the real context

    async def from_a_loop() -> str:
        return (await client.accounts.async_current()).username  # type: ignore[no-any-return]

    assert asyncio.run(from_a_loop()) == "cold"
    assert https_server["alpn"] == ["http/1.1", "http/1.1"]


def test_the_deferred_tls_context_still_verifies_the_server(https_server: Dict[str, Any]) -> None:
    # The self-signed certificate is not in the CA bundle: the connection must fail.
    client = Client(api_token=TOKEN, base_url=https_server["url"])
    client._retry_options["max_attempts"] = 1  # a failed handshake is retried otherwise
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        client.accounts.current()
    assert https_server["alpn"] == []


def test_a_context_of_ones_own_is_used_as_given(https_server: Dict[str, Any]) -> None:
    context = ssl.create_default_context(cafile=https_server["ca"])
    client = Client(api_token=TOKEN, base_url=https_server["url"], verify=context)
    assert {id(c) for c in tls_contexts(client)} == {id(context)}
    assert client.accounts.current().username == "cold"


# --- the first item without waiting for the rest ---------------------------------------------

TOKENS_VERSION = "a" * 64


@pytest.fixture
def token_model() -> Iterator[Dict[str, Any]]:
    """An emulator with a model that yields "first", then waits for the test before "second"."""
    released = threading.Event()

    def tokens() -> Iterator[str]:
        yield "first"
        # Only a caller that got "first" before the model finished can release it.
        yield "second" if released.wait(30) else "held back"

    emulator = Emulator(token=TOKEN)
    emulator.add_model("test/tokens", tokens, version_id=TOKENS_VERSION)
    emulator.start()
    try:
        yield {"emulator": emulator, "released": released}
    finally:
        released.set()
        emulator.stop()


def test_replicate_run_gives_an_iterator_models_first_item_as_it_is_produced(token_model: Dict[str, Any]) -> None:
    from replicate import Replicate

    emulator, released = token_model["emulator"], token_model["released"]
    client = Replicate(bearer_token=TOKEN, base_url=emulator.base_url)
    version = client.models.get("test/tokens").versions.get(TOKENS_VERSION)
    items = iter(client.run(version, input={}))
    assert next(items) == "first"
    released.set()
    assert list(items) == ["second"]


def test_async_replicate_run_gives_an_iterator_models_first_item_as_it_is_produced(
    token_model: Dict[str, Any],
) -> None:
    from replicate import AsyncReplicate

    emulator, released = token_model["emulator"], token_model["released"]

    async def collect() -> List[str]:
        client = AsyncReplicate(bearer_token=TOKEN, base_url=emulator.base_url)
        received = []
        version = await client.models.versions.get(
            model_owner="test", model_name="tokens", version_id=TOKENS_VERSION
        )
        async for item in await client.run(version, input={}):
            received.append(item)
            released.set()
        return received

    assert asyncio.run(collect()) == ["first", "second"]


def test_a_hold_the_caller_asks_for_is_kept(token_model: Dict[str, Any]) -> None:
    from replicate import Replicate

    emulator, released = token_model["emulator"], token_model["released"]
    released.set()  # the model finishes at once: the hold returns the whole output
    client = Replicate(bearer_token=TOKEN, base_url=emulator.base_url)
    sent: List[httpx.Request] = []
    client._client.event_hooks["request"].append(sent.append)
    version = client.models.get("test/tokens").versions.get(TOKENS_VERSION)
    assert list(client.run(version, input={}, wait=5)) == ["first", "second"]
    creates = [request for request in sent if request.method == "POST"]
    assert [request.headers.get("prefer") for request in creates] == ["wait=5"]
