"""Accounts: the `Account` resource and the `Accounts` namespace."""

from __future__ import annotations

from typing import Literal, Optional

from replicate._operation import Operation
from replicate.resource import Namespace, Resource, parse_resource


class Account(Resource):
    """A user or organization account on Replicate."""

    type: Literal["user", "organization"]
    """The type of account."""

    username: str
    """The username of the account."""

    name: str
    """The name of the account."""

    github_url: Optional[str] = None
    """The GitHub URL of the account."""


class Accounts(Namespace):
    """Namespace for operations related to accounts."""

    def current(self) -> Account:
        """Get the account that owns the API token."""
        return self._client._execute(self._current())

    async def async_current(self) -> Account:
        """Get the account that owns the API token."""
        return await self._client._async_execute(self._current())

    # The newer SDK's spelling: `client.account.get()`.
    get = current
    async_get = async_current

    def _current(self) -> Operation[Account]:
        return Operation("GET", "/v1/account", parse_resource(Account, self._client))


def get() -> Account:
    """The default client's account: `replicate.account.get()` in the newer SDK's style."""
    import replicate

    return replicate.default_client.accounts.current()


async def async_get() -> Account:
    """The default client's account, asynchronously."""
    import replicate

    return await replicate.default_client.accounts.async_current()
