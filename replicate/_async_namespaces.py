"""The namespaces of `AsyncReplicate`: each method awaits its namespace's `async_` twin.

``await AsyncReplicate().predictions.get(...)`` runs ``Predictions.async_get`` and types as
a `Prediction`: every view method below is an `awaited` twin, so its signature and result
are those of the twin it runs. Loaded with the first namespace an `AsyncReplicate` uses.
"""

from __future__ import annotations

import functools
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Dict,
    Generic,
    List,
    Optional,
    Type,
    TypeVar,
    overload,
)

from typing_extensions import Concatenate, ParamSpec

from replicate._sdk import AsyncItems, AsyncResult
from replicate.account import Accounts
from replicate.collection import Collections
from replicate.deployment import Deployments, DeploymentsPredictions
from replicate.file import Files, PagedFiles
from replicate.hardware import HardwareNamespace
from replicate.model import ModelExamples, ModelReadme, Models, ModelsPredictions, ModelVersions
from replicate.prediction import Predictions
from replicate.resource import Namespace
from replicate.training import Trainings
from replicate.webhook import StandardWebhooks, Webhooks, _SecretEndpoint

if TYPE_CHECKING:
    from typing_extensions import Self

    from replicate.pagination import AsyncCursorURLPage, Page
    from replicate.webhook import WebhookSigningSecret

__all__ = ["AsyncView", "async_view"]

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")
Out = TypeVar("Out")
Target = TypeVar("Target")
V = TypeVar("V", bound="AsyncView[Any]")


class AsyncView(Generic[Target]):
    """A namespace (or endpoint) of an AsyncReplicate: `name(...)` runs the `async_name` twin.

    The subclasses below declare each method with its type; other attributes are looked up
    on the namespace itself.
    """

    def __init__(self, target: Target) -> None:
        self._target = target

    @property
    def with_raw_response(self) -> Self:
        """This namespace, with each method returning an `APIResponse` instead of its result."""
        target: Any = self._target
        raw: Self = self.__dict__.get("_raw_response_view") or async_view(target.with_raw_response)
        self.__dict__["_raw_response_view"] = raw  # one view, as of any namespace
        return raw

    if not TYPE_CHECKING:  # at run time only: type checkers see the declared methods alone

        def __getattr__(self, name: str) -> Any:
            value = getattr(self._target, name, _MISSING)
            view = async_view(value)
            # A nested namespace or endpoint (`webhooks.default.secret`) is viewed in turn, even
            # when an `async_` twin of the same name exists: `secret.get()` must stay reachable.
            if view is not value:
                if isinstance(value, Namespace):
                    setattr(self, name, view)  # stable, as the namespace it views
                return view
            twin = getattr(self._target, f"async_{name}", None)
            if twin is not None and callable(twin):
                return _returning(AsyncResult, twin)
            if value is _MISSING:
                raise AttributeError(f"{type(self._target).__name__!r} object has no attribute {name!r}")
            return value

        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            # A callable endpoint such as `webhooks.default.secret()`.
            return self.get(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<async {self._target!r}>"


class _Twin(Generic[P, Out]):
    """A method of an AsyncView: calls its namespace's `async_` twin of the same name (looked
    up on each access, so a patched twin is the one called) and wraps what it returns."""

    def __init__(self, twin: Callable[..., Any], wrap: Callable[[Any], Out]) -> None:
        self.twin = twin  # the twin's function, for its signature (and tests) only
        self._wrap = wrap
        self._twin_name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._twin_name = f"async_{name}"

    @overload
    def __get__(self, view: None, owner: Optional[type] = None) -> Self: ...

    @overload
    def __get__(self, view: AsyncView[Any], owner: Optional[type] = None) -> Callable[P, Out]: ...

    def __get__(self, view: Optional[AsyncView[Any]], owner: Optional[type] = None) -> Any:
        if view is None:
            return self
        return _returning(self._wrap, getattr(view._target, self._twin_name))


def awaited(twin: Callable[Concatenate[Any, P], Awaitable[R]]) -> _Twin[P, AsyncResult[R]]:
    """A view method running `twin`: awaiting its call gives what the twin returns."""
    return _Twin(twin, AsyncResult)


def awaited_page(
    twin: Callable[Concatenate[Any, P], Awaitable[Page[T]]],
) -> _Twin[P, AsyncItems[AsyncCursorURLPage[T], T]]:
    """A view method running a list `twin`: awaiting its call gives a page (an
    AsyncReplicate's pages are AsyncCursorURLPages); `async for` yields every item, across pages."""
    return _Twin(twin, AsyncItems)


def awaited_list(twin: Callable[Concatenate[Any, P], Awaitable[List[T]]]) -> _Twin[P, AsyncItems[List[T], T]]:
    """A view method running a `twin` that returns a list; `async for` yields its items."""
    return _Twin(twin, AsyncItems)


def _returning(wrap: Callable[[Any], Out], method: Callable[..., Any]) -> Callable[..., Out]:
    @functools.wraps(method)
    def call(*args: Any, **kwargs: Any) -> Out:
        return wrap(method(*args, **kwargs))

    return call


class _Nested(Generic[V]):
    """A nested namespace of a view (`models.versions`), viewed in turn; made once per view,
    so `client.models.versions is client.models.versions`."""

    def __init__(self, view_class: Type[V]) -> None:
        self._view_class = view_class
        self._name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self._name = name

    @overload
    def __get__(self, view: None, owner: Optional[type] = None) -> Self: ...

    @overload
    def __get__(self, view: AsyncView[Any], owner: Optional[type] = None) -> V: ...

    def __get__(self, view: Optional[AsyncView[Any]], owner: Optional[type] = None) -> Any:
        if view is None:
            return self
        made = self._view_class(getattr(view._target, self._name))
        view.__dict__[self._name] = made  # this attribute is found there from now on
        return made


def nested(view_class: Type[V]) -> _Nested[V]:
    """A view attribute for the nested namespace of the same name, seen through `view_class`."""
    return _Nested(view_class)


# --- the namespaces ---------------------------------------------------------------------------


class AsyncAccounts(AsyncView[Accounts]):
    """`accounts` (and `account`) of an AsyncReplicate."""

    current = awaited(Accounts.async_current)
    get = awaited(Accounts.async_get)


class AsyncCollections(AsyncView[Collections]):
    """`collections` of an AsyncReplicate."""

    list = awaited_page(Collections.async_list)
    get = awaited(Collections.async_get)


class AsyncDeploymentsPredictions(AsyncView[DeploymentsPredictions]):
    """`deployments.predictions` of an AsyncReplicate."""

    create = awaited(DeploymentsPredictions.async_create)


class AsyncDeployments(AsyncView[Deployments]):
    """`deployments` of an AsyncReplicate."""

    get = awaited(Deployments.async_get)
    list = awaited_page(Deployments.async_list)
    create = awaited(Deployments.async_create)
    update = awaited(Deployments.async_update)
    delete = awaited(Deployments.async_delete)

    predictions = nested(AsyncDeploymentsPredictions)


class AsyncFiles(AsyncView[Files]):
    """`files` of an AsyncReplicate; `list()` pages through every file."""

    create = awaited(Files.async_create)
    get = awaited(Files.async_get)
    list = awaited_page(PagedFiles.async_list)
    download = awaited(Files.async_download)
    delete = awaited(Files.async_delete)


class AsyncHardware(AsyncView[HardwareNamespace]):
    """`hardware` of an AsyncReplicate."""

    list = awaited_list(HardwareNamespace.async_list)


class AsyncModelsPredictions(AsyncView[ModelsPredictions]):
    """`models.predictions` of an AsyncReplicate."""

    create = awaited(ModelsPredictions.async_create)


class AsyncModelVersions(AsyncView[ModelVersions]):
    """`models.versions` of an AsyncReplicate."""

    list = awaited_page(ModelVersions.async_list)
    get = awaited(ModelVersions.async_get)
    delete = awaited(ModelVersions.async_delete)


class AsyncModelReadme(AsyncView[ModelReadme]):
    """`models.readme` of an AsyncReplicate."""

    get = awaited(ModelReadme.async_get)


class AsyncModelExamples(AsyncView[ModelExamples]):
    """`models.examples` of an AsyncReplicate."""

    list = awaited_page(ModelExamples.async_list)


class AsyncModels(AsyncView[Models]):
    """`models` of an AsyncReplicate."""

    get = awaited(Models.async_get)
    list = awaited_page(Models.async_list)
    search = awaited_page(Models.async_search)
    create = awaited(Models.async_create)
    update = awaited(Models.async_update)
    delete = awaited(Models.async_delete)

    predictions = nested(AsyncModelsPredictions)
    versions = nested(AsyncModelVersions)
    readme = nested(AsyncModelReadme)
    examples = nested(AsyncModelExamples)


class AsyncPredictions(AsyncView[Predictions]):
    """`predictions` of an AsyncReplicate."""

    create = awaited(Predictions.async_create)
    get = awaited(Predictions.async_get)
    list = awaited_page(Predictions.async_list)
    cancel = awaited(Predictions.async_cancel)
    wait = awaited(Predictions.async_wait)


class AsyncTrainings(AsyncView[Trainings]):
    """`trainings` of an AsyncReplicate."""

    create = awaited(Trainings.async_create)
    get = awaited(Trainings.async_get)
    list = awaited_page(Trainings.async_list)
    cancel = awaited(Trainings.async_cancel)


class AsyncSecretEndpoint(AsyncView[_SecretEndpoint]):
    """`webhooks.default.secret` of an AsyncReplicate: `await secret.get()` or `await secret()`."""

    get = awaited(_SecretEndpoint.async_get)

    def __call__(self) -> AsyncResult[WebhookSigningSecret]:
        return self.get()


class AsyncWebhooksDefault(AsyncView[Webhooks.Default]):
    """`webhooks.default` of an AsyncReplicate."""

    @property
    def secret(self) -> AsyncSecretEndpoint:
        """The signing secret of the default webhook."""
        return AsyncSecretEndpoint(self._target.secret)


class AsyncWebhooks(AsyncView[Webhooks]):
    """`webhooks` of an AsyncReplicate: `validate` rejects timestamps over five minutes off."""

    validate = staticmethod(StandardWebhooks.validate)

    default = nested(AsyncWebhooksDefault)


# The view of each namespace class (and its subclasses: PagedFiles, StandardWebhooks).
_VIEWS: Dict[type, Type[AsyncView[Any]]] = {
    Accounts: AsyncAccounts,
    Collections: AsyncCollections,
    Deployments: AsyncDeployments,
    DeploymentsPredictions: AsyncDeploymentsPredictions,
    Files: AsyncFiles,
    HardwareNamespace: AsyncHardware,
    ModelExamples: AsyncModelExamples,
    ModelReadme: AsyncModelReadme,
    Models: AsyncModels,
    ModelsPredictions: AsyncModelsPredictions,
    ModelVersions: AsyncModelVersions,
    Predictions: AsyncPredictions,
    Trainings: AsyncTrainings,
    Webhooks: AsyncWebhooks,
    Webhooks.Default: AsyncWebhooksDefault,
    _SecretEndpoint: AsyncSecretEndpoint,
}


def async_view(value: Any) -> Any:
    """Wrap namespaces and endpoints (which have `async_` twins, or hold namespaces that do)
    in their view; return anything else as it is."""
    cls: Type[Any] = type(value)  # pyright: ignore[reportUnknownVariableType]
    if cls not in _VIEW_OF:
        _VIEW_OF[cls] = _view_class(cls)
    view_class = _VIEW_OF[cls]
    return value if view_class is None else view_class(value)


def _view_class(cls: Type[Any]) -> Optional[Type[AsyncView[Any]]]:
    for klass in cls.__mro__:
        if klass in _VIEWS:
            return _VIEWS[klass]
    if issubclass(cls, Namespace) or any(name.startswith("async_") for name in dir(cls)):
        return AsyncView
    return None


_VIEW_OF: Dict[type, Optional[Type[AsyncView[Any]]]] = {}
_MISSING = object()
