"""The :class:`Emulator`: state, model registry, servers and the prediction service."""

from __future__ import annotations

import base64
import datetime as _dt
import hashlib
import json
import os
import pathlib
import re
import shutil
import tempfile
import time
import weakref
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple
from urllib.parse import quote, unquote, urlsplit

import httpx

from ._util import ApiError, new_file_id, new_id, new_version_id, not_found, utcnow
from .app import build_app
from .demo_models import install_demo_models
from .faults import Faults
from .files import DeliveryStore, DownloadSigner, guess_content_type, named_link, write_data_uri
from .runner import Runner
from .scheduler import Scheduler
from .schema import cog_openapi_schema, schema_for
from .server import ServerThread, check_loopback
from .state import (
    CollectionRecord,
    DeploymentRecord,
    FileRecord,
    Job,
    ModelRecord,
    Prediction,
    Store,
    Training,
    VersionRecord,
)
from .stats import Stats
from .webhooks import WebhookDelivery, WebhookDispatcher, WebhookSigner

MiB = 1024 * 1024
_VERSION_ID = re.compile(r"^[0-9a-f]{64}$")
_LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}


class Emulator:
    """A local, in-memory emulation of the Replicate HTTP API.

    ``start()`` serves it on 127.0.0.1 (a free port by default); ``app`` gives the
    ASGI app for in-process use with ``httpx.ASGITransport``.
    """

    def __init__(
        self,
        token: Optional[str] = "r8_test",
        *,
        max_wait_seconds: float = 60.0,
        separate_delivery_origin: bool = True,
        demo_models: bool = True,
        host: str = "127.0.0.1",
        port: int = 0,
        delivery_port: int = 0,
        page_size: int = 100,
        min_cancel_after: float = 5.0,
        startup_delay: float = 0.0,
        training_seconds: float = 0.2,
        max_upload_bytes: int = 100 * MiB,
        webhook_throttle: float = 0.5,
        delivery_supports_range: bool = True,
        sync_mode_data_uris: bool = False,
    ) -> None:
        check_loopback(host)
        self.token = token
        self.max_wait_seconds = max_wait_seconds
        self.separate_delivery_origin = separate_delivery_origin
        self.host = host
        self.port = port
        self.delivery_port = delivery_port
        self.page_size = page_size
        self.min_cancel_after = min_cancel_after
        self.startup_delay = startup_delay
        self.training_seconds = training_seconds
        self.max_upload_bytes = max_upload_bytes
        self.delivery_supports_range = delivery_supports_range
        self.sync_mode_data_uris = sync_mode_data_uris

        self.state: Store = Store()
        self.stats: Stats = Stats()
        self.faults: Faults = Faults()
        self._dir = tempfile.mkdtemp(prefix="replicate-emulator-")
        # Removes stored files at interpreter exit even if stop() is never called.
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._dir, True)
        self.uploads_dir: str = os.path.join(self._dir, "uploads")
        os.makedirs(self.uploads_dir)
        self.delivery: DeliveryStore = DeliveryStore(os.path.join(self._dir, "delivery"))
        os.makedirs(self.delivery.directory)
        self.download_signer: DownloadSigner = DownloadSigner()
        self.webhook_signer: WebhookSigner = WebhookSigner()
        self.scheduler: Scheduler = Scheduler()
        self.webhooks: WebhookDispatcher = WebhookDispatcher(
            self.webhook_signer, self.scheduler, throttle=webhook_throttle
        )
        self.runner: Runner = Runner(
            self._deliver, self._fetch_input, self._input_dir, lambda: self.startup_delay
        )
        self._api_server: Optional[ServerThread] = None
        self._delivery_server: Optional[ServerThread] = None
        self._origin_hint = "http://testserver"
        self._app: Any = None
        self._stopped = False
        if demo_models:
            install_demo_models(self)

    # -- lifecycle -------------------------------------------------------------
    def start(self) -> Emulator:
        """Serve on loopback in background threads; returns ``self``."""
        if self._api_server is not None:
            return self
        if self.separate_delivery_origin:
            delivery_app = build_app(self, api=False, delivery=True)
            self._delivery_server = ServerThread(
                delivery_app, self.host, self.delivery_port, name="emulator-delivery"
            ).start()
        api_app = build_app(self, api=True, delivery=not self.separate_delivery_origin)
        self._api_server = ServerThread(api_app, self.host, self.port, name="emulator-api").start()
        return self

    def stop(self) -> None:
        """Stop servers and background threads and delete stored files."""
        if self._stopped:
            return
        self._stopped = True
        servers = [server for server in (self._api_server, self._delivery_server) if server]
        for server in servers:
            server.request_stop()
        for server in servers:
            server.join()
        for job in list(self.state.predictions.values()) + list(self.state.trainings.values()):
            job.cancel_event.set()
        self.webhooks.stop()
        self.scheduler.stop()
        self._cleanup()

    def client(self, **kwargs: Any) -> Any:
        """A `replicate.Client` for this emulator (keyword arguments go to the Client)."""
        from replicate.client import Client

        return Client(api_token=self.token, base_url=self.base_url, **kwargs)

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    @property
    def app(self) -> Any:
        """The ASGI app (API and delivery routes together) for in-process use."""
        if self._app is None:
            self._app = build_app(self, api=True, delivery=True)
        return self._app

    # -- URLs ----------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """The API origin, e.g. ``http://127.0.0.1:54321`` (paths start with ``/v1``)."""
        return self._api_server.url if self._api_server else self._origin_hint

    @property
    def delivery_url(self) -> str:
        """The origin serving output files and SSE streams."""
        if self._delivery_server is not None:
            return self._delivery_server.url
        return self.base_url

    def note_origin(self, origin: str) -> None:
        """Remember the origin requests arrive on when no server runs (ASGI use)."""
        if self._api_server is None:
            self._origin_hint = origin

    def signed_download_url(self, file_id: str, expiry: Optional[int] = None) -> str:
        """A ``/v1/files/{id}/download`` URL valid until ``expiry`` (Unix time; default +1h)."""
        record = self.state.files.get(file_id)
        if record is None:
            raise KeyError(file_id)
        expiry = int(expiry if expiry is not None else time.time() + 3600)
        query = self.download_signer.query(record.owner, file_id, expiry)
        return f"{self.base_url}/v1/files/{file_id}/download?{query}"

    @property
    def webhook_secret(self) -> str:
        """The ``whsec_...`` signing secret of the default webhook."""
        return self.webhook_signer.secret

    @property
    def webhook_deliveries(self) -> List[WebhookDelivery]:
        """Every webhook sent so far (in order)."""
        return self.webhooks.deliveries

    def wait_for_webhooks(
        self, count: int = 1, timeout: float = 5.0, event: Optional[str] = None
    ) -> List[WebhookDelivery]:
        """Block until ``count`` deliveries (of ``event``, if given) happened; return them."""

        def matching(deliveries: List[WebhookDelivery]) -> List[WebhookDelivery]:
            return [d for d in deliveries if event is None or d.event == event]

        self.webhooks.wait_for(lambda deliveries: len(matching(deliveries)) >= count, timeout)
        return matching(self.webhooks.deliveries)

    # -- seeding: models, deployments, collections, files -----------------------
    def add_model(
        self,
        name: str,
        predict_fn: Optional[Callable[..., Any]] = None,
        *,
        version_id: Optional[str] = None,
        official: bool = False,
        output_schema: Optional[Dict[str, Any]] = None,
        input_schema: Optional[Dict[str, Any]] = None,
        cog_version: str = "0.9.0",
        description: Optional[str] = None,
        visibility: str = "public",
        readme: Optional[str] = None,
        github_url: Optional[str] = None,
        paper_url: Optional[str] = None,
        license_url: Optional[str] = None,
        cover_image_url: Optional[str] = None,
        hardware: str = "cpu",
    ) -> str:
        """Register ``owner/name`` (or add a version to it); return the new version id.

        Schemas come from ``predict_fn``'s signature unless given explicitly. A
        Cog-style predictor class is accepted too: it is instantiated, its
        ``setup()`` runs once, and its ``predict`` method serves the version. A
        model registered without a function has no versions.
        """
        if isinstance(predict_fn, type):
            predictor = predict_fn()
            setup = getattr(predictor, "setup", None)
            if callable(setup):
                setup()
            predict_fn = predictor.predict
        owner, _, model_name = name.partition("/")
        if not owner or not model_name or "/" in model_name:
            raise ValueError(f"model name must look like 'owner/name', not {name!r}")
        with self.state.lock:
            model = self.state.models.get(name)
            if model is None:
                model = ModelRecord(
                    owner=owner,
                    name=model_name,
                    description=description,
                    visibility=visibility,
                    readme=readme,
                    github_url=github_url,
                    paper_url=paper_url,
                    license_url=license_url,
                    cover_image_url=cover_image_url,
                    hardware=hardware,
                    is_official=official,
                )
                self.state.models[name] = model
            if predict_fn is None:
                return ""
            version = self._make_version(
                name, predict_fn, version_id, input_schema, output_schema, cog_version
            )
            model.versions.insert(0, version)
            return version.id

    def _make_version(
        self,
        model: str,
        fn: Callable[..., Any],
        version_id: Optional[str],
        inputs: Optional[Dict[str, Any]],
        output: Optional[Dict[str, Any]],
        cog_version: str,
    ) -> VersionRecord:
        if version_id is not None and not _VERSION_ID.match(version_id):
            raise ValueError("version_id must be 64 lowercase hex characters")
        if self.state.find_version(version_id or "") is not None:
            raise ValueError(f"version {version_id} already exists")
        if inputs is None and output is None:
            schema = schema_for(fn)
        else:
            derived = schema_for(fn)["components"]["schemas"]
            schema = cog_openapi_schema(
                inputs if inputs is not None else derived["Input"],
                {"title": "Output", **output} if output is not None else derived["Output"],
            )
        return VersionRecord(
            id=version_id or new_version_id(),
            model=model,
            predict=fn,
            openapi_schema=schema,
            cog_version=cog_version,
        )

    def add_deployment(
        self,
        name: str,
        model: str,
        version: Optional[str] = None,
        *,
        hardware: str = "cpu",
        min_instances: int = 0,
        max_instances: int = 1,
    ) -> DeploymentRecord:
        """Create deployment ``[owner/]name`` running ``model`` (latest version by default)."""
        owner, _, dep_name = name.rpartition("/")
        owner = owner or self.state.account["username"]
        record = self.state.models.get(model)
        if record is None or record.latest_version is None:
            raise KeyError(f"model {model} has no versions")
        deployment = DeploymentRecord(
            owner=owner,
            name=dep_name,
            model=model,
            version=version or record.latest_version.id,
            hardware=hardware,
            min_instances=min_instances,
            max_instances=max_instances,
            created_by=self._account_summary(),
        )
        with self.state.lock:
            self.state.deployments[f"{owner}/{dep_name}"] = deployment
        return deployment

    def add_collection(
        self,
        slug: str,
        name: Optional[str] = None,
        description: str = "",
        models: Iterable[str] = (),
        full_description: Optional[str] = None,
    ) -> CollectionRecord:
        """Create or replace a collection listing ``owner/name`` models."""
        record = CollectionRecord(
            slug=slug,
            name=name or slug.replace("-", " ").capitalize(),
            description=description,
            models=list(models),
            full_description=full_description,
        )
        with self.state.lock:
            self.state.collections[slug] = record
        return record

    def add_file(
        self,
        content: bytes,
        filename: str = "file.bin",
        content_type: Optional[str] = None,
        metadata: Optional[Dict[str, Any]] = None,
    ) -> FileRecord:
        """Store a file as if uploaded through ``POST /v1/files``."""
        fd, path = tempfile.mkstemp(dir=self.uploads_dir, prefix="seed-")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        return self.register_file(
            path,
            size=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            md5=hashlib.md5(content).hexdigest(),
            filename=filename,
            content_type=content_type or guess_content_type(filename, content[:16]),
            metadata=metadata or {},
        )

    def register_file(
        self,
        path: str,
        *,
        size: int,
        sha256: str,
        md5: str,
        filename: str,
        content_type: str,
        metadata: Dict[str, Any],
    ) -> FileRecord:
        """Record an uploaded file already stored at ``path``."""
        created = utcnow()
        record = FileRecord(
            id=new_file_id(),
            name=filename,
            content_type=content_type,
            size=size,
            sha256=sha256,
            md5=md5,
            path=path,
            metadata=metadata,
            owner=self.state.account["username"],
            created_at=created,
            expires_at=created + _dt.timedelta(days=1),
        )
        with self.state.lock:
            self.state.files[record.id] = record
        return record

    def _account_summary(self) -> Dict[str, Any]:
        account = self.state.account
        summary = {
            key: account.get(key)
            for key in ("type", "username", "name", "avatar_url", "github_url")
        }
        return {key: value for key, value in summary.items() if value is not None}

    # -- lookups ----------------------------------------------------------------
    def get_model(self, owner: str, name: str) -> ModelRecord:
        """The model ``owner/name`` or a 404 problem."""
        model = self.state.models.get(f"{owner}/{name}")
        if model is None:
            raise not_found(f"Model {owner}/{name} not found")
        return model

    def resolve_version_ref(self, ref: str) -> Tuple[ModelRecord, VersionRecord]:
        """Resolve ``id``, ``owner/name`` or ``owner/name:id`` (422 when unknown)."""
        invalid = ApiError(
            422,
            "The specified version does not exist (or perhaps you don't have permission to use it?)",
            "Invalid version or not permitted",
        )
        name, _, version_id = ref.partition(":")
        if not version_id and _VERSION_ID.match(name):
            found = self.state.find_version(name)
            if found is None:
                raise invalid
            return found
        model = self.state.models.get(name)
        if model is None:
            raise invalid
        if not version_id:
            if model.latest_version is None:
                raise invalid
            return model, model.latest_version
        for version in model.versions:
            if version.id == version_id:
                return model, version
        raise invalid

    # -- predictions ------------------------------------------------------------
    def create_prediction(
        self,
        model: ModelRecord,
        version: VersionRecord,
        inputs: Dict[str, Any],
        *,
        hide_version: bool = False,
        webhook: Optional[str] = None,
        webhook_events_filter: Optional[List[str]] = None,
        cancel_after: Optional[float] = None,
        deployment: Optional[str] = None,
    ) -> Prediction:
        """Create a prediction and start running it in a worker thread."""
        prediction_id = new_id()
        prediction = Prediction(
            id=prediction_id,
            model=model.full_name,
            # Official models run without a version; the live API then reports a deployment-
            # style id ("dp-..."), which also satisfies the spec's oneOf where "hidden" cannot.
            version=official_version_id(version.id) if hide_version else version.id,
            input=inputs,
            urls=self._job_urls(
                "predictions", prediction_id, self._stream_path(version, prediction_id)
            ),
        )
        prediction.webhook = webhook
        prediction.webhook_events_filter = webhook_events_filter
        prediction.deployment = deployment
        prediction.hooks.append(self._remember_example(model))
        self.webhooks.attach(prediction)
        with self.state.lock:
            self.state.predictions[prediction_id] = prediction
            self.stats.predictions_created += 1
            model.run_count += 1
        if cancel_after is not None:
            prediction.deadline = prediction.created_at + _dt.timedelta(seconds=cancel_after)
            self.scheduler.call_later(cancel_after, lambda: self.expire(prediction))
        assert version.predict is not None
        self.runner.start(prediction, version.predict, inputs)
        return prediction

    def _remember_example(self, model: ModelRecord) -> Callable[[Job, str], None]:
        # The first successful prediction stands in for the model's default example.
        def hook(job: Job, event: str) -> None:
            if event == "completed" and job.status == "succeeded" and model.default_example is None:
                model.default_example = job.to_json()

        return hook

    def cancel(self, job: Job) -> Job:
        """Cancel a job; a no-op once it is terminal."""
        job.finish("canceled")
        return job

    def expire(self, job: Job) -> None:
        """A ``Cancel-After`` deadline passed: abort if not started, else cancel."""
        job.expire()

    def _stream_path(self, version: VersionRecord, job_id: str) -> str:
        # The live API streams file outputs under /v1/files/, telling clients that
        # `output` events carry URLs rather than text.
        output = version.openapi_schema.get("components", {}).get("schemas", {}).get("Output", {})
        files = '"format": "uri"' in json.dumps(output)
        return f"/v1/files/streams/{job_id}" if files else f"/v1/streams/{job_id}"

    def _job_urls(self, collection: str, job_id: str, stream_path: Optional[str]) -> Dict[str, str]:
        base = self.base_url
        urls = {
            "get": f"{base}/v1/{collection}/{job_id}",
            "cancel": f"{base}/v1/{collection}/{job_id}/cancel",
            "web": f"{base}/p/{job_id}",
        }
        if stream_path:
            urls["stream"] = f"{self.delivery_url}{stream_path}"
        return urls

    # -- trainings --------------------------------------------------------------
    def create_training(
        self,
        model: ModelRecord,
        version: VersionRecord,
        destination: ModelRecord,
        inputs: Dict[str, Any],
        *,
        webhook: Optional[str] = None,
        webhook_events_filter: Optional[List[str]] = None,
    ) -> Training:
        """Start a training that adds a new version to ``destination`` on success."""
        training_id = new_id()
        training = Training(
            id=training_id,
            model=model.full_name,
            version=version.id,
            input=inputs,
            urls=self._job_urls("trainings", training_id, None),
            destination=destination.full_name,
        )
        training.webhook = webhook
        training.webhook_events_filter = webhook_events_filter
        self.webhooks.attach(training)
        with self.state.lock:
            self.state.trainings[training_id] = training
            self.stats.trainings_created += 1
        self.runner.start(training, self._trainer(training, version, destination), {})
        return training

    def _trainer(
        self, training: Training, base: VersionRecord, destination: ModelRecord
    ) -> Callable[[], Dict[str, Any]]:
        def train() -> Dict[str, Any]:
            steps = 5
            print(f"Training {base.model}:{base.id[:12]} into {destination.full_name}")
            for step in range(1, steps + 1):
                if training.cancel_event.wait(self.training_seconds / steps):
                    return {}
                bar = "█" * (step * 2) + " " * ((steps - step) * 2)
                print(f"{step * 100 // steps:3d}%|{bar}| {step}/{steps} [00:00<00:00, 25.00it/s]")
            weights = f"emulated weights of {destination.full_name} from {base.id}\n".encode()
            with self.state.lock:
                version = VersionRecord(
                    id=new_version_id(),
                    model=destination.full_name,
                    predict=base.predict,
                    openapi_schema=base.openapi_schema,
                    cog_version=base.cog_version,
                )
                destination.versions.insert(0, version)
            return {
                "version": f"{destination.full_name}:{version.id}",
                "weights": self.delivery_link(self.delivery.add_bytes(weights, "weights.tar")),
            }

        return train

    # -- files in and out -----------------------------------------------------------
    def delivery_link(self, record: Any) -> str:
        """Public URL of a delivered file."""
        return f"{self.delivery_url}/delivery/{record.token}/{quote(record.filename)}"

    def inline_files(self, value: Any) -> Any:
        """Replace this emulator's delivery URLs in an output with ``data:`` URIs.

        The live API answers ``Prefer: wait`` requests this way (see
        ``sync_mode_data_uris``); the stored prediction keeps its URLs.
        """
        if isinstance(value, list):
            return [self.inline_files(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
        if isinstance(value, dict):
            return {key: self.inline_files(item) for key, item in value.items()}  # pyright: ignore[reportUnknownVariableType]
        prefix = f"{self.delivery_url}/delivery/"
        if not isinstance(value, str) or not value.startswith(prefix):
            return value
        record = self.delivery.get(value[len(prefix) :].split("/", 1)[0])
        if record is None:
            return value
        with open(record.path, "rb") as handle:
            encoded = base64.b64encode(handle.read()).decode()
        return f"data:{record.content_type};base64,{encoded}"

    def _deliver(self, value: Any) -> str:
        if isinstance(value, pathlib.PurePath):
            return self.delivery_link(self.delivery.add_path(str(value)))
        if isinstance(value, (bytes, bytearray)):
            return self.delivery_link(self.delivery.add_bytes(bytes(value)))
        data = value.read()
        if isinstance(data, str):
            data = data.encode()
        name = os.path.basename(str(getattr(value, "name", "") or "")) or None
        return self.delivery_link(self.delivery.add_bytes(data, name))

    def _input_dir(self, job: Job) -> str:
        path = os.path.join(self._dir, "inputs", job.id)
        os.makedirs(path, exist_ok=True)
        return path

    def _fetch_input(self, url: str, directory: str) -> pathlib.Path:
        """Local path for a file input: a data URI, a URL of this emulator, or a loopback URL."""
        if url.startswith("data:"):
            return write_data_uri(url, directory)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise ValueError(
                f"unsupported file input {url[:80]!r}: use an http(s) URL or a data: URI"
            )
        local = self._local_file(parts.netloc, parts.path)
        if local is not None:
            return local
        if (parts.hostname or "") not in _LOOPBACK_HOSTS:
            raise ValueError(f"the emulator does not fetch non-loopback URLs: {url}")
        name = os.path.basename(unquote(parts.path)) or "input"
        target = pathlib.Path(directory) / name
        with httpx.stream("GET", url, timeout=30) as response:
            response.raise_for_status()
            with open(target, "wb") as handle:
                for chunk in response.iter_bytes():
                    handle.write(chunk)
        return target

    def _local_file(self, netloc: str, path: str) -> Optional[pathlib.Path]:
        own = {urlsplit(self.base_url).netloc, urlsplit(self.delivery_url).netloc}
        if netloc not in own:
            return None
        match = re.match(r"^/v1/files/([^/]+)(?:/download)?$", path)
        if match:
            record = self.state.files.get(match.group(1))
            if record is None:
                raise ValueError(f"file {match.group(1)} does not exist")
            return named_link(record.path, record.name)
        match = re.match(r"^/delivery/([^/]+)/", path)
        if match:
            delivered = self.delivery.get(match.group(1))
            if delivered is None:
                raise ValueError(f"delivery file {path} does not exist")
            return pathlib.Path(delivered.path)
        return None


def official_version_id(version_id: str) -> str:
    """The version an official model's prediction reports: "dp-" and 32 hex digits."""
    return "dp-" + version_id[:32]
