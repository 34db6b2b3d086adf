"""Functions that process pools run (importable by name, as spawned workers need)."""

from __future__ import annotations

from typing import Optional

from replicate.client import Client
from replicate.exceptions import ModelError
from replicate.prediction import Prediction

CLIENT: Optional[Client] = None
"""The client the workers use: the parent's own under fork, a new one under spawn."""


def use_client(base_url: str) -> None:
    """Pool initializer for spawned workers, which start without the parent's globals."""
    global CLIENT
    CLIENT = Client(api_token="r8_poolWorkerToken0123456789", base_url=base_url)


def fetch(prediction_id: str) -> Prediction:
    """Read a prediction; a failed one raises ModelError, which must reach the parent."""
    assert CLIENT is not None
    prediction = CLIENT.predictions.get(prediction_id)
    if prediction.status == "failed":
        raise ModelError(prediction)
    return prediction
