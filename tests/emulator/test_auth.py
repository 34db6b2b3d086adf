"""Bearer-token authentication."""

from __future__ import annotations

import httpx
import pytest

from replicate.emulator import Emulator

UNAUTHENTICATED = {
    "title": "Unauthenticated",
    "detail": "You did not pass a valid authentication token",
    "status": 401,
}

AUTHED_OPERATIONS = [
    ("GET", "/v1/account"),
    ("GET", "/v1/collections"),
    ("GET", "/v1/collections/emulator-demos"),
    ("GET", "/v1/deployments"),
    ("POST", "/v1/deployments"),
    ("GET", "/v1/deployments/a/b"),
    ("PATCH", "/v1/deployments/a/b"),
    ("DELETE", "/v1/deployments/a/b"),
    ("POST", "/v1/deployments/a/b/predictions"),
    ("GET", "/v1/files"),
    ("POST", "/v1/files"),
    ("GET", "/v1/files/abc"),
    ("DELETE", "/v1/files/abc"),
    ("GET", "/v1/hardware"),
    ("GET", "/v1/models"),
    ("POST", "/v1/models"),
    ("QUERY", "/v1/models"),
    ("GET", "/v1/models/replicate/hello-world"),
    ("PATCH", "/v1/models/replicate/hello-world"),
    ("DELETE", "/v1/models/replicate/hello-world"),
    ("GET", "/v1/models/replicate/hello-world/examples"),
    ("POST", "/v1/models/replicate/hello-world/predictions"),
    ("GET", "/v1/models/replicate/hello-world/readme"),
    ("GET", "/v1/models/replicate/hello-world/versions"),
    ("GET", "/v1/models/replicate/hello-world/versions/abc"),
    ("DELETE", "/v1/models/replicate/hello-world/versions/abc"),
    ("POST", "/v1/models/replicate/hello-world/versions/abc/trainings"),
    ("GET", "/v1/predictions"),
    ("POST", "/v1/predictions"),
    ("GET", "/v1/predictions/abc"),
    ("POST", "/v1/predictions/abc/cancel"),
    ("GET", "/v1/trainings"),
    ("GET", "/v1/trainings/abc"),
    ("POST", "/v1/trainings/abc/cancel"),
    ("GET", "/v1/webhooks/default/secret"),
]


@pytest.mark.parametrize("authorization", [None, "Bearer wrong", "r8_test", "Basic r8_test"])
def test_missing_or_wrong_token_is_401(emu: Emulator, authorization) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    with httpx.Client(base_url=emu.base_url, headers=headers) as http:
        for method, path in AUTHED_OPERATIONS:
            response = http.request(method, path)
            assert response.status_code == 401, (method, path)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json() == UNAUTHENTICATED


def test_token_scheme_is_also_accepted(emu: Emulator) -> None:
    response = httpx.get(emu.base_url + "/v1/account", headers={"Authorization": "Token r8_test"})
    assert response.status_code == 200


def test_search_needs_no_token(emu: Emulator) -> None:
    assert httpx.get(emu.base_url + "/v1/search", params={"query": "hello"}).status_code == 200


def test_auth_can_be_disabled(make_emulator) -> None:
    emu = make_emulator(token=None, demo_models=False)
    assert httpx.get(emu.base_url + "/v1/account").status_code == 200


def test_delivery_origin_needs_no_token(emu: Emulator) -> None:
    response = httpx.post(
        emu.base_url + "/v1/predictions",
        json={"version": "replicate/image-maker", "input": {"width": 4, "height": 4}},
        headers={"Authorization": "Bearer r8_test", "Prefer": "wait"},
    ).json()
    assert httpx.get(response["output"]).status_code == 200
