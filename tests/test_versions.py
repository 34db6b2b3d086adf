"""A model's versions: get, list (a Page), delete (a bool)."""

from __future__ import annotations

import datetime

import pytest
from namespace_helpers import VERSION, VERSION_ID, api, assert_request, both_modes, call, page

from replicate.pagination import Page
from replicate.version import Version, Versions

VERSIONS_PATH = "/v1/models/replicate/hello-world/versions"


@both_modes
async def test_get(mode: str) -> None:
    fake, client = api((200, VERSION))
    versions = Versions(client, "replicate/hello-world")
    version = await call(mode, versions, "get", VERSION_ID)
    assert_request(fake.request, "GET", f"{VERSIONS_PATH}/{VERSION_ID}")
    assert isinstance(version, Version)
    assert version.id == VERSION_ID
    assert version.created_at == datetime.datetime(2022, 4, 26, 19, 29, 4, 418669, tzinfo=datetime.timezone.utc)
    assert version.cog_version == "0.3.0"
    assert version.openapi_schema == VERSION["openapi_schema"]


@both_modes
async def test_list_returns_a_page_and_follows_cursors(mode: str) -> None:
    next_url = f"https://api.replicate.com{VERSIONS_PATH}?cursor=abc"
    fake, client = api((200, page([VERSION], next=next_url)), (200, page([VERSION])))
    versions = Versions(client, ("replicate", "hello-world"))
    first = await call(mode, versions, "list")
    assert_request(fake.requests[0], "GET", VERSIONS_PATH)
    assert isinstance(first, Page) and len(first) == 1 and first.next == next_url
    await call(mode, versions, "list", first.next)
    assert_request(fake.requests[1], "GET", VERSIONS_PATH, query={"cursor": "abc"})


@both_modes
async def test_delete_returns_true_on_204(mode: str) -> None:
    fake, client = api((204, None))
    assert await call(mode, Versions(client, "replicate/hello-world"), "delete", VERSION_ID) is True
    assert_request(fake.request, "DELETE", f"{VERSIONS_PATH}/{VERSION_ID}")


def test_versions_need_a_model() -> None:
    _, client = api()
    assert Versions(client, "replicate/hello-world").model == ("replicate", "hello-world")
    with pytest.raises(ValueError, match="model"):
        Versions(client, "hello-world")
