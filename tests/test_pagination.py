"""Pages and cursors: Page behaves like its results; paginate/async_paginate walk every page."""

from __future__ import annotations

import pytest
from namespace_helpers import MODEL, PREDICTION, api, assert_request, page

import replicate
from replicate.pagination import Page, async_paginate, paginate
from replicate.prediction import Prediction

NEXT = "https://api.replicate.com/v1/predictions?cursor=two"
LAST = "https://api.replicate.com/v1/predictions?cursor=three"


def three_pages() -> tuple:
    return api(
        (200, page([{**PREDICTION, "id": "a"}, {**PREDICTION, "id": "b"}], next=NEXT)),
        (200, page([{**PREDICTION, "id": "c"}], next=LAST, previous="https://api.replicate.com/v1/predictions")),
        (200, page([], previous=NEXT)),
    )


def test_page_iterates_indexes_and_has_len() -> None:
    listed = Page[Prediction].model_validate(page([PREDICTION, {**PREDICTION, "id": "b"}], next=NEXT))
    assert len(listed) == 2
    assert [p.id for p in listed] == [PREDICTION["id"], "b"]
    assert listed[1].id == "b" and listed[-1].id == "b"
    assert (listed.next, listed.previous) == (NEXT, None)
    assert listed.results[0].status == "starting"
    with pytest.raises(IndexError):
        listed[2]


def test_paginate_follows_full_url_next_cursors() -> None:
    fake, client = three_pages()
    pages = list(paginate(client.predictions.list))
    assert [[p.id for p in each] for each in pages] == [["a", "b"], ["c"], []]
    assert_request(fake.requests[0], "GET", "/v1/predictions")
    assert_request(fake.requests[1], "GET", "/v1/predictions", query={"cursor": "two"})
    assert_request(fake.requests[2], "GET", "/v1/predictions", query={"cursor": "three"})


async def test_async_paginate_follows_full_url_next_cursors() -> None:
    fake, client = three_pages()
    pages = [each async for each in async_paginate(client.predictions.async_list)]
    assert [len(each) for each in pages] == [2, 1, 0]
    assert [str(r.url) for r in fake.requests] == ["https://api.replicate.com/v1/predictions", NEXT, LAST]


def test_paginate_is_exported_at_the_package_root() -> None:
    assert replicate.paginate is paginate
    assert replicate.async_paginate is async_paginate


def test_paginate_works_with_every_cursor_list_method() -> None:
    fake, client = api((200, page([MODEL])), (200, page([])), (200, page([])), (200, page([])), (200, page([])))
    for method in (
        client.models.list,
        client.collections.list,
        client.deployments.list,
        client.trainings.list,
        client.predictions.list,
    ):
        assert len(list(paginate(method))) == 1
    assert [r.url.path for r in fake.requests] == [
        "/v1/models", "/v1/collections", "/v1/deployments", "/v1/trainings", "/v1/predictions",
    ]


@pytest.mark.parametrize("cursor", [None, 3, b"https://x"])
def test_list_rejects_cursors_that_are_not_urls(cursor: object) -> None:
    fake, client = api()
    with pytest.raises(ValueError, match="cursor"):
        client.predictions.list(cursor)  # type: ignore[arg-type]
    assert fake.requests == []


@pytest.mark.parametrize("namespace", ["models", "collections", "deployments", "trainings", "predictions"])
def test_a_none_cursor_is_v0s_value_error(namespace: str) -> None:
    fake, client = api()
    with pytest.raises(ValueError) as caught:
        getattr(client, namespace).list(None)
    assert str(caught.value) == "cursor cannot be None"  # v0's message, word for word
    assert fake.requests == []
