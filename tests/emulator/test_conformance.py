"""Every response body validated against the live API's OpenAPI document.

Skipped when ``../shared/reference/replicate-openapi.json`` (relative to the repo
root) is absent; the spec is never copied into the project.
"""

from __future__ import annotations

import copy
import json
import re
import time
from typing import Any, Dict, List, Optional, Set, Tuple

import httpx
import jsonschema

from replicate.emulator import Emulator

from .conftest import load_spec

# The spec is checked as written: no field is loosened, and `oneOf` keeps its meaning.
NULLABLE_IN_PRACTICE: Set[Tuple[str, str]] = set()


def _normalize(schema: Any, root: Dict[str, Any]) -> Any:
    """Inline $refs and turn OpenAPI ``nullable`` into JSON Schema null types."""
    if isinstance(schema, list):
        return [_normalize(item, root) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        target: Any = root
        for part in schema["$ref"].lstrip("#/").split("/"):
            target = target[part]
        return _normalize(target, root)
    result = {
        key: _normalize(value, root)
        for key, value in schema.items()
        if key not in ("example", "examples")
    }
    if result.pop("nullable", False) and "type" in result:
        result["type"] = [result["type"], "null"]
    return result


def _allow_null(schema: Any, prop: str) -> None:
    """Make ``prop`` nullable wherever an object schema in the tree declares it."""
    if isinstance(schema, list):
        for item in schema:
            _allow_null(item, prop)
        return
    if not isinstance(schema, dict):
        return
    target = schema.get("properties", {}).get(prop)
    if isinstance(target, dict) and "type" in target and not isinstance(target["type"], list):
        target["type"] = [target["type"], "null"]
    for value in schema.values():
        _allow_null(value, prop)


class Operations:
    """Maps (method, path) to the spec's operations."""

    def __init__(self, spec: Dict[str, Any]) -> None:
        self.spec = spec
        self.table: List[Tuple[str, re.Pattern, str, Dict[str, Any]]] = []
        for template, item in spec["paths"].items():
            pattern = re.compile("^/v1" + re.sub(r"\{[^/}]+\}", "[^/]+", template) + "$")
            for method, operation in item.items():
                if isinstance(operation, dict) and "operationId" in operation:
                    self.table.append(
                        (method.upper(), pattern, operation["operationId"], operation)
                    )
        # Literal segments first, so /models/{o}/{n}/versions beats looser templates.
        self.table.sort(key=lambda row: row[1].pattern.count("[^/]+"))

    def find(self, method: str, path: str) -> Optional[Tuple[str, Dict[str, Any]]]:
        for verb, pattern, operation_id, operation in self.table:
            if verb == method and pattern.match(path):
                return operation_id, operation
        return None

    @property
    def ids(self) -> List[str]:
        return sorted(row[2] for row in self.table)


def run_scenario(emu: Emulator, http: httpx.Client) -> None:
    """Exercise all 37 operations (responses are recorded by the client hook)."""
    version = emu.state.models["replicate/hello-world"].latest_version.id
    wait = {"Prefer": "wait"}
    http.get("/v1/account")
    http.get("/v1/hardware")
    http.get("/v1/webhooks/default/secret")
    http.get("/v1/collections")
    http.get("/v1/collections/emulator-demos")
    http.get("/v1/search", params={"query": "hello"})

    http.get("/v1/models")
    http.request("QUERY", "/v1/models", content="hello", headers={"Content-Type": "text/plain"})
    http.post(
        "/v1/models",
        json={
            "owner": "emulator",
            "name": "conformance",
            "visibility": "private",
            "hardware": "cpu",
            "description": "A model",
        },
    )
    http.patch(
        "/v1/models/emulator/conformance", json={"description": "Updated", "readme": "# Readme"}
    )
    http.get("/v1/models/emulator/conformance")
    http.get("/v1/models/emulator/conformance/readme")

    first = http.post(
        "/v1/predictions", json={"version": version, "input": {"text": "a"}}, headers=wait
    ).json()
    http.get(f"/v1/predictions/{first['id']}")
    running = http.post(
        "/v1/predictions", json={"version": "replicate/slow-progress", "input": {"seconds": 5}}
    ).json()
    http.get(f"/v1/predictions/{running['id']}")
    http.post(f"/v1/predictions/{running['id']}/cancel")
    http.post(
        "/v1/models/replicate/llm-streamer/predictions",
        json={"input": {"max_tokens": 2}},
        headers=wait,
    )
    http.post("/v1/models/replicate/fails/predictions", json={"input": {}}, headers=wait)
    http.get("/v1/predictions")
    http.get("/v1/models/replicate/hello-world/examples")
    http.get("/v1/models/replicate/hello-world/versions")
    http.get(f"/v1/models/replicate/hello-world/versions/{version}")

    http.post(
        "/v1/deployments",
        json={
            "name": "conf-dep",
            "model": "replicate/hello-world",
            "version": version,
            "hardware": "cpu",
            "min_instances": 0,
            "max_instances": 1,
        },
    )
    http.get("/v1/deployments")
    http.get("/v1/deployments/emulator/conf-dep")
    http.patch("/v1/deployments/emulator/conf-dep", json={"max_instances": 2})
    http.post(
        "/v1/deployments/emulator/conf-dep/predictions", json={"input": {"text": "d"}}, headers=wait
    )
    http.delete("/v1/deployments/emulator/conf-dep")

    uploaded = http.post("/v1/files", files={"content": ("a.txt", b"abc", "text/plain")}).json()
    http.get("/v1/files")
    http.get(f"/v1/files/{uploaded['id']}")
    download = emu.signed_download_url(uploaded["id"])
    http.get(download)
    http.delete(f"/v1/files/{uploaded['id']}")
    http.get(f"/v1/files/{uploaded['id']}")  # documented 404

    training = http.post(
        f"/v1/models/replicate/hello-world/versions/{version}/trainings",
        json={"destination": "emulator/conformance", "input": {}},
    ).json()
    http.get("/v1/trainings")
    deadline = time.monotonic() + 5
    while http.get(f"/v1/trainings/{training['id']}").json()["status"] != "succeeded":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    other = http.post(
        f"/v1/models/replicate/hello-world/versions/{version}/trainings",
        json={"destination": "emulator/conformance", "input": {}},
    ).json()
    http.post(f"/v1/trainings/{other['id']}/cancel")

    trained = emu.state.models["emulator/conformance"]
    for record in list(trained.versions):
        http.delete(f"/v1/models/emulator/conformance/versions/{record.id}")
    http.delete("/v1/models/emulator/conformance")


def test_every_response_conforms_to_the_spec(make_emulator) -> None:
    spec = load_spec()
    operations = Operations(spec)
    assert len(operations.ids) == 37
    emu = make_emulator()
    recorded: List[httpx.Response] = []

    def record(response: httpx.Response) -> None:
        response.read()
        recorded.append(response)

    with httpx.Client(
        base_url=emu.base_url,
        headers={"Authorization": "Bearer r8_test"},
        event_hooks={"response": [record]},
        timeout=30,
    ) as http:
        run_scenario(emu, http)

    covered = set()
    failures = []
    for response in recorded:
        path = response.request.url.path
        found = operations.find(response.request.method, path)
        assert found is not None, f"no operation for {response.request.method} {path}"
        operation_id, operation = found
        documented = operation["responses"].get(str(response.status_code))
        if documented is None:
            failures.append(
                f"{operation_id}: undocumented status {response.status_code}: {response.text[:200]}"
            )
            continue
        if 200 <= response.status_code < 300:
            covered.add(operation_id)
        content = documented.get("content")
        if not content:
            if response.content:
                failures.append(
                    f"{operation_id}: expected an empty body, got {response.content[:80]!r}"
                )
            continue
        media_type = response.headers["content-type"].split(";")[0]
        if media_type not in content:
            failures.append(f"{operation_id}: content type {media_type} not in {list(content)}")
            continue
        schema = _normalize(content[media_type].get("schema", {}), spec)
        for op, prop in NULLABLE_IN_PRACTICE:
            if op == operation_id:
                _allow_null(schema, prop)
        if media_type == "application/octet-stream":
            continue
        body: Any = response.text if media_type.startswith("text/") else response.json()
        validator = jsonschema.Draft202012Validator(schema)
        for error in validator.iter_errors(body):
            failures.append(
                f"{operation_id} {response.status_code}: {error.json_path}: {error.message[:300]}"
            )
    assert not failures, "\n".join(failures)
    assert covered == set(operations.ids), sorted(set(operations.ids) - covered)


def test_normalize_helpers() -> None:
    spec = {"components": {"schemas": {"A": {"type": "string", "nullable": True}}}}
    schema = _normalize({"properties": {"a": {"$ref": "#/components/schemas/A"}}}, spec)
    assert schema == {"properties": {"a": {"type": ["string", "null"]}}}
    assert json.dumps(spec)  # the input is left untouched
    assert copy.deepcopy(schema) == schema
