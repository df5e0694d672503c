"""What a run's downloads hold: its model file under a readable name, and its spec as JSON.

The spec JSON of a run trained here is a preset file (network, layers, training
settings; `lab.spec.load_presets` reads it) with the run's figures added under
``"run"``. An uploaded run has no lab spec: its JSON holds the Keras
configuration read from the model file (never run).
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

from lab.records.types import RunRecord
from lab.spec import stored


def file_name(run: RunRecord, suffix: str) -> str:
    """``run_7_workshop_16_16_10.keras``: the run and its network, safe for any file system.

    Example:
        >>> file_name(RunRecord(7, network="Workshop 16-16-10 / v2"), ".json")
        'run_7_workshop_16-16-10_v2.json'
    """
    slug = re.sub(r"[^a-z0-9-]+", "_", (run.network or "").lower()).strip("_")[:40]
    return f"run_{run.id}{'_' + slug if slug else ''}{suffix}"


def spec_document(run: RunRecord, model_file: Path | None = None) -> str:
    """The run's spec as indented JSON: the preset format plus ``"run"`` (what it scored,
    where and how long it trained); for a run without a lab spec (an uploaded model) the
    Keras configuration inside ``model_file`` instead.

    Example:
        >>> doc = json.loads(spec_document(RunRecord(3, network="n", dataset="mnist", test_acc=0.9,
        ...                                          spec_json='{"name": "n", "layers": []}')))
        >>> doc["name"], doc["run"]["test accuracy"]
        ('n', 0.9)
    """
    doc = stored(run.spec_json) or {"name": run.network}
    if run.train_json:
        doc["train"] = stored(run.train_json)
    doc["run"] = {"id": run.id, "dataset": run.dataset, "status": str(run.status), "epochs": run.epochs_done,
                  "test accuracy": run.test_acc, "test loss": run.test_loss, "parameters": run.params,
                  "device": run.device, "seconds": run.duration_s, "owner": run.owner, "created": run.created,
                  "origin": run.origin or "trained in the lab"}
    if not run.spec_json and model_file is not None:
        doc["keras_config"] = keras_config(model_file)
    return json.dumps(doc, indent=2)


def keras_config(model_file: Path | str) -> dict | None:
    """The configuration stored in a ``.keras`` archive (its ``config.json``), read as data;
    None when the file is not such an archive."""
    try:
        with zipfile.ZipFile(model_file) as archive:
            return json.loads(archive.read("config.json"))
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, UnicodeDecodeError):
        return None
