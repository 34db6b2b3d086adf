"""The resource and status types, as the newer SDK names them (`from replicate.types import ...`)."""

from __future__ import annotations

from replicate.account import Account
from replicate.collection import Collection
from replicate.deployment import Deployment
from replicate.file import File
from replicate.hardware import Hardware
from replicate.model import Model
from replicate.pagination import Page
from replicate.prediction import Prediction, PredictionStatus, WebhookEvent
from replicate.search import (
    SearchCollection,
    SearchModel,
    SearchModelMetadata,
    SearchPage,
    SearchResponse,
)
from replicate.training import Training
from replicate.version import Version
from replicate.webhook import WebhookSigningSecret

TrainingStatus = PredictionStatus
"""A training's status takes the same values as a prediction's."""

__all__ = [
    "Account",
    "Collection",
    "Deployment",
    "File",
    "Hardware",
    "Model",
    "Page",
    "Prediction",
    "PredictionStatus",
    "SearchCollection",
    "SearchModel",
    "SearchModelMetadata",
    "SearchPage",
    "SearchResponse",
    "Training",
    "TrainingStatus",
    "Version",
    "WebhookEvent",
    "WebhookSigningSecret",
]
