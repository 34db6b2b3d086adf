"""Cursor pagination with full next/previous URLs, and model list sorting."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from replicate.emulator import Emulator

from .conftest import api_client


@pytest.fixture
def paged(make_emulator) -> Emulator:
    emulator = make_emulator(demo_models=True, page_size=3)
    with api_client(emulator) as http:
        for index in range(8):
            http.post(
                "/v1/predictions",
                json={"version": "replicate/hello-world", "input": {"text": str(index)}},
            )
    return emulator


def test_walk_forward_and_back(paged: Emulator) -> None:
    with api_client(paged) as http:
        page = http.get("/v1/predictions").json()
        assert page["previous"] is None
        seen = [p["id"] for p in page["results"]]
        pages = [page]
        while page["next"]:
            assert page["next"].startswith(f"{paged.base_url}/v1/predictions?cursor=")
            page = http.get(page["next"]).json()
            pages.append(page)
            seen += [p["id"] for p in page["results"]]
        assert [len(p["results"]) for p in pages] == [3, 3, 2]
        assert len(set(seen)) == 8
        inputs = [p["input"]["text"] for p in pages[0]["results"]]
        assert inputs == ["7", "6", "5"]  # newest first
        back = http.get(pages[-1]["previous"]).json()
        assert back["results"] == pages[1]["results"]


def test_cursor_keeps_other_query_parameters(paged: Emulator) -> None:
    with api_client(paged) as http:
        page = http.get(
            "/v1/models", params={"sort_by": "model_created_at", "sort_direction": "asc"}
        ).json()
        query = parse_qs(urlsplit(page["next"]).query)
        assert query["sort_by"] == ["model_created_at"] and query["sort_direction"] == ["asc"]
        assert http.get("/v1/predictions", params={"cursor": "!!!"}).status_code == 400


def test_models_sorting(make_emulator) -> None:
    emu = make_emulator(demo_models=False)
    emu.add_model("acme/old", lambda: 1)
    emu.add_model("acme/new", lambda: 2)
    emu.add_model("acme/old", lambda: 3)  # a newer version of the older model
    with api_client(emu) as http:

        def names(**params: str) -> list:
            return [m["name"] for m in http.get("/v1/models", params=params).json()["results"]]

        assert names() == ["old", "new"]
        assert names(sort_by="model_created_at") == ["new", "old"]
        assert names(sort_by="model_created_at", sort_direction="asc") == ["old", "new"]
        assert names(sort_by="latest_version_created_at", sort_direction="asc") == ["new", "old"]
        assert http.get("/v1/models", params={"sort_by": "stars"}).status_code == 400


def test_private_models_of_others_are_hidden(make_emulator) -> None:
    emu = make_emulator(demo_models=False)
    emu.add_model("someone/secret", lambda: 1, visibility="private")
    emu.add_model("emulator/mine", lambda: 1, visibility="private")
    with api_client(emu) as http:
        assert [m["name"] for m in http.get("/v1/models").json()["results"]] == ["mine"]


def test_empty_lists(make_emulator) -> None:
    emu = make_emulator(demo_models=False)
    with api_client(emu) as http:
        for path in (
            "/v1/predictions",
            "/v1/trainings",
            "/v1/files",
            "/v1/deployments",
            "/v1/collections",
            "/v1/models",
        ):
            assert http.get(path).json() == {"previous": None, "next": None, "results": []}, path
