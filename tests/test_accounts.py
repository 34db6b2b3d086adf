"""accounts.current (and the newer SDK's account.get): GET /v1/account."""

from __future__ import annotations

import pytest
from namespace_helpers import ACCOUNT, api, assert_request, both_modes, call

from replicate.account import Account
from replicate.exceptions import ReplicateError


@both_modes
async def test_current_gets_the_tokens_account(mode: str) -> None:
    fake, client = api((200, ACCOUNT))
    account = await call(mode, client.accounts, "current")
    assert_request(fake.request, "GET", "/v1/account")
    assert isinstance(account, Account)
    assert (account.type, account.username, account.name) == ("organization", "replicate", "Replicate")
    assert account.github_url == "https://github.com/replicate"
    assert account.avatar_url == "https://example.com/avatar.png"  # type: ignore[attr-defined]


@both_modes
async def test_newer_sdk_spelling_account_get(mode: str) -> None:
    fake, client = api((200, ACCOUNT))
    account = await call(mode, client.account, "get")
    assert_request(fake.request, "GET", "/v1/account")
    assert account.username == "replicate"


@both_modes
async def test_unauthenticated_raises_replicate_error(mode: str) -> None:
    _, client = api((401, {"title": "Unauthenticated", "detail": "Invalid token", "status": 401}))
    with pytest.raises(ReplicateError) as info:
        await call(mode, client.accounts, "current")
    assert info.value.status == 401
    assert info.value.detail == "Invalid token"
