"""collections.list / collections.get, and a Collection acting as a sequence of its models."""

from __future__ import annotations

import pytest
from namespace_helpers import COLLECTION, MODEL, api, assert_request, both_modes, call, page

from replicate.collection import Collection
from replicate.model import Model
from replicate.pagination import Page


@both_modes
async def test_list_returns_a_page_of_collections(mode: str) -> None:
    listed = {key: COLLECTION[key] for key in ("name", "slug", "description")}
    fake, client = api((200, page([listed], next="https://api.replicate.com/v1/collections?cursor=abc")))
    collections = await call(mode, client.collections, "list")
    assert_request(fake.request, "GET", "/v1/collections")
    assert isinstance(collections, Page)
    assert collections.next == "https://api.replicate.com/v1/collections?cursor=abc"
    (collection,) = collections
    assert isinstance(collection, Collection)
    with pytest.deprecated_call(match="Use `slug`"):  # as v0
        assert collection.id == "super-resolution"
    assert (collection.slug, collection.models) == ("super-resolution", None)


@both_modes
async def test_list_follows_a_cursor_as_given(mode: str) -> None:
    fake, client = api((200, page([])))
    await call(mode, client.collections, "list", "https://api.replicate.com/v1/collections?cursor=abc")
    assert_request(fake.request, "GET", "/v1/collections", query={"cursor": "abc"})


@both_modes
async def test_list_rejects_a_none_cursor(mode: str) -> None:
    fake, client = api()
    with pytest.raises(ValueError, match="cursor"):
        await call(mode, client.collections, "list", None)
    assert fake.requests == []


@both_modes
@pytest.mark.parametrize(
    "args, kwargs", [(("super-resolution",), {}), ((), {"collection_slug": "super-resolution"})]
)
async def test_get_returns_the_collection_with_its_models(
    mode: str, args: tuple, kwargs: dict
) -> None:
    fake, client = api((200, COLLECTION))
    collection = await call(mode, client.collections, "get", *args, **kwargs)
    assert_request(fake.request, "GET", "/v1/collections/super-resolution")
    assert collection.name == "Super resolution"
    assert len(collection) == 2
    assert isinstance(collection[0], Model)
    assert [model.id for model in collection] == ["replicate/hello-world", "replicate/hello-world-2"]
    assert [model.name for model in collection[0:1]] == ["hello-world"]
    assert collection.models is not None and collection.models[0]._client is client


@both_modes
async def test_get_quotes_the_slug_and_rejects_an_empty_one(mode: str) -> None:
    fake, client = api((200, {**COLLECTION, "slug": "a b"}))
    await call(mode, client.collections, "get", "a b")
    assert fake.request.url.raw_path == b"/v1/collections/a%20b"
    with pytest.raises(ValueError, match="slug"):
        await call(mode, client.collections, "get", "")


def test_a_listed_collection_has_no_models_to_index() -> None:
    collection = Collection(slug="s", name="n", description="d")
    assert len(collection) == 0
    assert list(collection) == []
    assert collection[0] is None and collection[:1] is None  # as v0
    assert Collection.model_validate({**COLLECTION, "models": [MODEL]})[0].owner == "replicate"
