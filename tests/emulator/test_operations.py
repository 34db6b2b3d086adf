"""Every one of the 37 operations: status codes and response shapes."""

from __future__ import annotations

import uuid

import httpx
import pytest

from replicate.emulator import Emulator

from .conftest import wait_for_status

PAGE_KEYS = {"previous", "next", "results"}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_account_get(client: httpx.Client) -> None:
    response = client.get("/v1/account")
    assert response.status_code == 200
    assert response.json()["username"] == "emulator"
    assert response.json()["type"] == "user"


def test_account_can_be_seeded(make_emulator) -> None:
    emu = make_emulator(demo_models=False)
    emu.state.account = {"type": "organization", "username": "acme", "name": "Acme"}
    with httpx.Client(base_url=emu.base_url, headers={"Authorization": "Bearer r8_test"}) as http:
        assert http.get("/v1/account").json()["username"] == "acme"


def test_hardware_list_is_a_bare_array(client: httpx.Client) -> None:
    response = client.get("/v1/hardware")
    assert response.status_code == 200
    skus = [item["sku"] for item in response.json()]
    assert skus[:4] == ["cpu", "gpu-t4", "gpu-a40-small", "gpu-a40-large"]
    assert all(set(item) == {"name", "sku"} for item in response.json())


def test_webhook_secret(client: httpx.Client, emu: Emulator) -> None:
    response = client.get("/v1/webhooks/default/secret")
    assert response.status_code == 200
    assert response.json() == {"key": emu.webhook_secret}
    assert response.json()["key"].startswith("whsec_")


def test_collections_list_and_get(client: httpx.Client) -> None:
    listing = client.get("/v1/collections")
    assert listing.status_code == 200
    assert set(listing.json()) == PAGE_KEYS
    slugs = [c["slug"] for c in listing.json()["results"]]
    assert "emulator-demos" in slugs
    detail = client.get("/v1/collections/emulator-demos")
    assert detail.status_code == 200
    names = [f"{m['owner']}/{m['name']}" for m in detail.json()["models"]]
    assert "replicate/hello-world" in names
    assert client.get("/v1/collections/nope").status_code == 404


def test_collections_seeded(client: httpx.Client, emu: Emulator) -> None:
    emu.add_collection(
        "super-resolution", "Super resolution", "Upscalers", models=["replicate/image-maker"]
    )
    body = client.get("/v1/collections/super-resolution").json()
    assert body["name"] == "Super resolution"
    assert [m["name"] for m in body["models"]] == ["image-maker"]


def test_deployments_crud_and_predictions(client: httpx.Client, emu: Emulator) -> None:
    hello = emu.state.models["replicate/hello-world"].latest_version
    name = unique("dep")
    created = client.post(
        "/v1/deployments",
        json={
            "name": name,
            "model": "replicate/hello-world",
            "version": hello.id,
            "hardware": "gpu-t4",
            "min_instances": 0,
            "max_instances": 3,
        },
    )
    assert created.status_code == 200
    body = created.json()
    assert body["owner"] == "emulator" and body["name"] == name
    assert body["current_release"]["number"] == 1
    assert body["current_release"]["configuration"] == {
        "hardware": "gpu-t4",
        "min_instances": 0,
        "max_instances": 3,
    }

    assert client.get(f"/v1/deployments/emulator/{name}").json() == body
    listed = client.get("/v1/deployments").json()
    assert name in [d["name"] for d in listed["results"]]

    updated = client.patch(
        f"/v1/deployments/emulator/{name}", json={"min_instances": 1, "max_instances": 5}
    )
    assert updated.status_code == 200
    assert updated.json()["current_release"]["number"] == 2
    assert updated.json()["current_release"]["configuration"]["max_instances"] == 5

    prediction = client.post(
        f"/v1/deployments/emulator/{name}/predictions",
        json={"input": {"text": "dep"}},
        headers={"Prefer": "wait"},
    )
    assert prediction.status_code == 201
    assert prediction.json()["output"] == "hello dep"
    assert prediction.json()["deployment"] == f"emulator/{name}"
    assert prediction.json()["version"] == hello.id

    conflict = client.post(
        "/v1/deployments",
        json={
            "name": name,
            "model": "replicate/hello-world",
            "version": hello.id,
            "hardware": "cpu",
            "min_instances": 0,
            "max_instances": 1,
        },
    )
    assert conflict.status_code == 409
    assert client.delete(f"/v1/deployments/emulator/{name}").status_code == 204
    assert client.get(f"/v1/deployments/emulator/{name}").status_code == 404


def test_deployment_validation(client: httpx.Client) -> None:
    response = client.post("/v1/deployments", json={"name": "x"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    bad_hardware = client.post(
        "/v1/deployments",
        json={
            "name": "y",
            "model": "replicate/hello-world",
            "version": "0" * 64,
            "hardware": "tpu",
            "min_instances": 0,
            "max_instances": 1,
        },
    )
    assert bad_hardware.status_code == 404  # unknown version of the model


def test_add_deployment_from_python(client: httpx.Client, emu: Emulator) -> None:
    emu.add_deployment("acme/image-gen", "replicate/image-maker", hardware="gpu-a40-small")
    body = client.get("/v1/deployments/acme/image-gen").json()
    assert body["current_release"]["model"] == "replicate/image-maker"


def test_models_list_get_versions(client: httpx.Client, emu: Emulator) -> None:
    listing = client.get("/v1/models")
    assert listing.status_code == 200
    assert set(listing.json()) == PAGE_KEYS
    model = client.get("/v1/models/replicate/hello-world")
    assert model.status_code == 200
    body = model.json()
    for key in (
        "url",
        "owner",
        "name",
        "description",
        "visibility",
        "github_url",
        "paper_url",
        "license_url",
        "run_count",
        "cover_image_url",
        "default_example",
        "latest_version",
    ):
        assert key in body
    version = body["latest_version"]
    assert set(version) == {"id", "created_at", "cog_version", "openapi_schema"}
    versions = client.get("/v1/models/replicate/hello-world/versions")
    assert versions.status_code == 200
    assert versions.json()["results"][0]["id"] == version["id"]
    one = client.get(f"/v1/models/replicate/hello-world/versions/{version['id']}")
    assert one.status_code == 200 and one.json() == version
    assert client.get("/v1/models/replicate/hello-world/versions/" + "f" * 64).status_code == 404
    assert client.get("/v1/models/nobody/nothing").status_code == 404


def test_models_create_update_delete(client: httpx.Client) -> None:
    name = unique("model")
    created = client.post(
        "/v1/models",
        json={
            "owner": "emulator",
            "name": name,
            "visibility": "private",
            "hardware": "cpu",
            "description": "An example model",
        },
    )
    assert created.status_code == 201
    assert created.json() == {
        **created.json(),
        "owner": "emulator",
        "name": name,
        "description": "An example model",
        "visibility": "private",
        "run_count": 0,
        "latest_version": None,
        "default_example": None,
    }
    again = client.post(
        "/v1/models",
        json={"owner": "emulator", "name": name, "visibility": "private", "hardware": "cpu"},
    )
    assert again.status_code == 409
    assert client.post("/v1/models", json={"owner": "emulator"}).status_code == 422

    patched = client.patch(
        f"/v1/models/emulator/{name}", json={"description": "new", "readme": "# Hi"}
    )
    assert patched.status_code == 200 and patched.json()["description"] == "new"
    readme = client.get(f"/v1/models/emulator/{name}/readme")
    assert readme.status_code == 200 and readme.text == "# Hi"
    assert readme.headers["content-type"].startswith("text/plain")

    assert client.delete(f"/v1/models/emulator/{name}").status_code == 204
    assert client.get(f"/v1/models/emulator/{name}").status_code == 404


def test_models_delete_rules(client: httpx.Client, emu: Emulator) -> None:
    assert client.delete("/v1/models/replicate/hello-world").status_code == 409  # public
    name = unique("private")
    version_id = emu.add_model(f"emulator/{name}", lambda text: text, visibility="private")
    assert client.delete(f"/v1/models/emulator/{name}").status_code == 409  # has versions
    response = client.delete(f"/v1/models/emulator/{name}/versions/{version_id}")
    assert response.status_code == 202
    assert client.get(f"/v1/models/emulator/{name}/versions/{version_id}").status_code == 404
    assert client.delete(f"/v1/models/emulator/{name}").status_code == 204


def test_models_readme_missing_is_404(client: httpx.Client, emu: Emulator) -> None:
    name = unique("noreadme")
    emu.add_model(f"acme/{name}", lambda: "x")
    assert client.get(f"/v1/models/acme/{name}/readme").status_code == 404
    assert client.get("/v1/models/replicate/hello-world/readme").text.startswith(
        "# replicate/hello-world"
    )


def test_models_examples(client: httpx.Client, emu: Emulator) -> None:
    name = f"acme/{unique('examples')}"
    emu.add_model(name, lambda text: text.upper())
    assert client.get(f"/v1/models/{name}/examples").json()["results"] == []
    client.post(
        f"/v1/models/{name}/predictions", json={"input": {"text": "a"}}, headers={"Prefer": "wait"}
    )
    examples = client.get(f"/v1/models/{name}/examples")
    assert examples.status_code == 200
    assert examples.json()["results"][0]["output"] == "A"
    assert client.get(f"/v1/models/{name}").json()["default_example"]["output"] == "A"


def test_models_search_uses_query_method(client: httpx.Client) -> None:
    response = client.request(
        "QUERY", "/v1/models", content="streams", headers={"Content-Type": "text/plain"}
    )
    assert response.status_code == 200
    names = [m["name"] for m in response.json()["results"]]
    assert "llm-streamer" in names
    assert set(response.json()) == PAGE_KEYS
    assert client.request("QUERY", "/v1/models", content="").status_code == 400


def test_search(client: httpx.Client) -> None:
    response = client.get("/v1/search", params={"query": "hello", "limit": 5})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "hello"
    assert body["models"][0]["model"]["name"] == "hello-world"
    assert set(body["models"][0]["metadata"]) == {"generated_description", "tags", "score"}
    assert body["pages"] == []
    demos = client.get("/v1/search", params={"query": "emulator demos"}).json()
    assert demos["collections"][0]["slug"] == "emulator-demos"
    assert client.get("/v1/search").status_code == 400
    assert client.get("/v1/search", params={"query": "x", "limit": 99}).status_code == 400


def test_predictions_create_get_list_cancel(client: httpx.Client, emu: Emulator) -> None:
    version = emu.state.models["replicate/hello-world"].latest_version.id
    created = client.post("/v1/predictions", json={"version": version, "input": {"text": "there"}})
    assert created.status_code == 201
    body = created.json()
    assert body["status"] in ("starting", "processing", "succeeded")
    for key in (
        "id",
        "model",
        "version",
        "input",
        "output",
        "logs",
        "error",
        "status",
        "created_at",
        "data_removed",
        "source",
        "urls",
    ):
        assert key in body
    assert set(body["urls"]) == {"get", "cancel", "web", "stream"}
    final = wait_for_status(client, body["id"], "succeeded")
    assert final["output"] == "hello there"
    assert final["metrics"]["predict_time"] >= 0 and final["metrics"]["total_time"] >= 0
    listed = client.get("/v1/predictions").json()
    assert body["id"] in [p["id"] for p in listed["results"]]
    canceled = client.post(f"/v1/predictions/{body['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "succeeded"
    assert client.get("/v1/predictions/doesnotexist").status_code == 404


def test_models_predictions_create_official(client: httpx.Client) -> None:
    response = client.post(
        "/v1/models/replicate/llm-streamer/predictions",
        json={"input": {"max_tokens": 3, "delay": 0}},
        headers={"Prefer": "wait"},
    )
    assert response.status_code == 201
    assert response.json()["version"].startswith("dp-")
    assert response.json()["output"] == ["Once", " upon", " a"]


def test_trainings_create_list_get_cancel(client: httpx.Client, emu: Emulator) -> None:
    destination = unique("trained")
    emu.add_model(f"emulator/{destination}")
    version = emu.state.models["replicate/hello-world"].latest_version.id
    created = client.post(
        f"/v1/models/replicate/hello-world/versions/{version}/trainings",
        json={"destination": f"emulator/{destination}", "input": {"train_data": "data:,x"}},
    )
    assert created.status_code == 201
    training = created.json()
    assert training["status"] in ("starting", "processing")
    assert training["urls"]["get"].endswith(f"/v1/trainings/{training['id']}")
    assert client.get(f"/v1/trainings/{training['id']}").status_code == 200
    assert training["id"] in [t["id"] for t in client.get("/v1/trainings").json()["results"]]
    canceled = client.post(f"/v1/trainings/{training['id']}/cancel")
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert client.get("/v1/trainings/nope").status_code == 404


def test_training_invalid_destination(client: httpx.Client, emu: Emulator) -> None:
    version = emu.state.models["replicate/hello-world"].latest_version.id
    response = client.post(
        f"/v1/models/replicate/hello-world/versions/{version}/trainings",
        json={"destination": "<invalid>", "input": {}},
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "detail": "The specified training destination does not exist",
        "status": 404,
    }


@pytest.mark.parametrize(
    "method,path",
    [("GET", "/v1/nothing-here"), ("GET", "/v1/predictions/abc/nope")],
)
def test_unknown_routes_are_problem_404(client: httpx.Client, method: str, path: str) -> None:
    response = client.request(method, path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert {"type", "title", "status", "detail"} <= set(response.json())


def test_wrong_method_is_405(client: httpx.Client) -> None:
    response = client.put("/v1/predictions")
    assert response.status_code == 405
    assert response.json()["status"] == 405


def test_invalid_json_body_is_400(client: httpx.Client) -> None:
    response = client.post(
        "/v1/predictions", content=b"{nope", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["title"] == "Bad Request"


def test_web_urls_serve_a_page(client: httpx.Client) -> None:
    body = client.post(
        "/v1/predictions",
        json={"version": "replicate/hello-world", "input": {"text": "web"}},
        headers={"Prefer": "wait"},
    ).json()
    page = httpx.get(body["urls"]["web"])
    assert page.status_code == 200 and body["id"] in page.text
