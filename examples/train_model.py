"""Fine-tune a model: create the destination, train, wait, then run the new version.

Against the bundled emulator (no token, no network), where any model can be trained:

    python -m replicate.emulator --port 0 -- python examples/train_model.py

Against Replicate, name a trainable model and version (``--model ostris/flux-dev-lora-trainer
--version ...``), its training input as JSON (``--input '{"input_images": "https://..."}'``),
and a destination you own.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Dict, Optional, Sequence, cast

import replicate
from replicate.exceptions import NotFoundError
from replicate.model import Model
from replicate.training import Training


def destination_model(name: str) -> Model:
    """The model trainings write to, created (private, on CPU) if it does not exist yet."""
    try:
        return replicate.models.get(name)
    except NotFoundError:
        owner, model_name = name.split("/")
        return replicate.models.create(
            owner=owner, name=model_name, visibility="private", hardware="cpu"
        )


def show_last_log_line(training: Training) -> None:
    """Called each time the training's logs change while it runs."""
    lines = (training.logs or "").strip().splitlines()
    if lines:
        print(f"\r  {lines[-1][:72]:<72}", end="", flush=True)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=str(__doc__).splitlines()[0])
    parser.add_argument("--model", default="replicate/hello-world", help="the model to train")
    parser.add_argument("--version", help="the version to train (default: its latest)")
    parser.add_argument("--input", default='{"steps": 10}', help="the training input, as JSON")
    parser.add_argument("--destination", help="owner/name of the new model (default: yours)")
    parser.add_argument("--run-input", default='{"text": "tuned"}', help="a prediction's input")
    args = parser.parse_args(argv)

    version_id = args.version
    if version_id is None:
        latest = replicate.models.get(args.model).latest_version
        if latest is None:
            parser.error(f"{args.model} has no version to train")
        version_id = latest.id
    destination = args.destination or f"{replicate.accounts.current().username}/tuned-model"
    destination_model(destination)

    training = replicate.trainings.create(
        model=args.model,
        version=version_id,
        input=json.loads(args.input),
        destination=destination,
    )
    print(f"training {training.id} of {args.model} into {destination}")
    training.wait(on_progress=show_last_log_line)
    print()
    if training.status != "succeeded":
        print(f"training {training.status}: {training.error}", file=sys.stderr)
        return 1

    output = training.output  # {"version": "owner/name:version-id", "weights": URL}
    if not isinstance(output, dict):
        print(f"training {training.id} gave no version: {output!r}", file=sys.stderr)
        return 1
    new_version = str(cast("Dict[str, object]", output)["version"])
    print(f"new version: {new_version}")
    print(f"it answers: {replicate.run(new_version, input=json.loads(args.run_input))!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
