"""Where a run's trained model file lives, and whether it is there and safe to open.

Records keep a file name relative to the models folder (older records kept
an absolute path; both are understood), so the folder can move without
touching a record, and pages never build paths themselves.
"""

from __future__ import annotations

import json
import os
import re
import threading
import zipfile
from pathlib import Path

import numpy as np

from lab.records.types import RunRecord

# Layers that carry Python code inside the file: Keras refuses them in safe mode, and so does the lab.
CODE_LAYERS = ("Lambda", "TFOpLambda")


class ModelFiles:
    """The model files of one data folder (``$LAB_HOME/trained`` by default).

    Example:
        >>> files = ModelFiles(Path("/srv/lab/trained"))
        >>> files.key(7), str(files.target(7))
        ('run_7.keras', '/srv/lab/trained/run_7.keras')
    """

    def __init__(self, folder: Path | str):
        self.folder = Path(folder)

    def key(self, run_id: int) -> str:
        """What a record stores to find run ``run_id``'s file."""
        return f"run_{run_id}.keras"

    def target(self, run_id: int) -> Path:
        """Where run ``run_id``'s model is written."""
        return self.folder / self.key(run_id)

    def path(self, run: RunRecord) -> Path | None:
        """The file a record points at (whether or not it exists); None when it has none."""
        if not run.model_path:
            return None
        stored = Path(run.model_path)
        return stored if stored.is_absolute() else self.folder / stored

    def locate(self, run: RunRecord) -> Path | None:
        """The run's model file when it exists, else None."""
        path = self.path(run)
        return path if path is not None and path.is_file() else None

    def has_model(self, run: RunRecord) -> bool:
        """Whether the run has a saved model file on disk."""
        return self.locate(run) is not None

    def remove(self, run: RunRecord) -> list[Path]:
        """Delete every file of the run in the folder (``run_<id>.*``) and the file its record
        points at; returns what was deleted."""
        paths = set(self.folder.glob(f"run_{run.id}.*"))
        if self.path(run) is not None:
            paths.add(self.path(run))
        gone = [p for p in sorted(paths) if p.is_file()]
        for path in gone:
            path.unlink()
        return gone

    def predictions(self, run: RunRecord) -> Path:
        """Where run ``run``'s answers on its test set are kept (`read_predictions`), beside
        its model file; `remove` deletes them with it."""
        return predictions_beside(self.target(run.id))


def predictions_beside(model_file: Path | str) -> Path:
    """Where the answers of the model written at ``model_file`` are kept.

    Example:
        >>> predictions_beside("/srv/lab/trained/run_7.keras").name
        'run_7.predictions.npz'
    """
    path = Path(model_file)
    return path.with_name(f"{path.stem}.predictions.npz")


def write_model(net, path: Path | str) -> None:
    """Save a Keras model to ``path`` atomically: readers see the old file or the new
    one, never half of one (a crash mid-save leaves the old file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.keras")
    net.save(tmp)
    os.replace(tmp, path)


def write_file(content: bytes, path: Path | str) -> None:
    """Write a model file's bytes (one trained elsewhere, e.g. on a Ray worker) to ``path``
    atomically, as `write_model` does."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.stem + ".tmp.keras")
    tmp.write_bytes(content)
    os.replace(tmp, path)


def save_error(path: Path | str, exc: OSError) -> str:
    """What to tell a user whose model could not be saved at ``path``, and how to fix it.

    Example:
        >>> save_error("/srv/lab/trained/run_3.keras", PermissionError(13, "Permission denied"))[:58]
        'The model could not be saved in /srv/lab/trained (Permissi'
    """
    folder = Path(path).parent
    reason = exc.strerror or type(exc).__name__
    return (f"The model could not be saved in {folder} ({reason}); the run's epochs and test figures "
            f"are recorded, but Draw, Evaluate and Continue need its file. Make the folder writable by "
            f"the lab's server (or set LAB_HOME to a writable folder) and train again.")


CONFIG_LIMIT = 4 * 2**20  # bytes a model's config.json may unpack to (the lab's largest networks need a few kB)
MAX_DEPTH = 200  # levels a model's config.json may nest (a Keras Sequential model's reach about 10)


def refusal(path: Path | str, unpacked_limit: int | None = None) -> str | None:
    """Why the lab will not open this model file, in one sentence; None when it may.

    Reads only the file's JSON configuration (no Keras, no code run, never more than
    `CONFIG_LIMIT` bytes of it unpacked): a file that is not a Keras archive, one
    holding layers with Python code in it, or one that unpacks to more than
    ``unpacked_limit`` bytes (a small upload that would fill the server's memory).
    """
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
            if unpacked_limit is not None and unpacked > unpacked_limit:
                return (f"The file unpacks to {unpacked / 2**20:,.0f} MB, more than the lab reads "
                        f"({unpacked_limit / 2**20:,.0f} MB): it is not a model the lab can use.")
            with archive.open("config.json") as member:
                raw = member.read(CONFIG_LIMIT + 1)  # a size in the archive's index may lie
            if len(raw) > CONFIG_LIMIT:
                return (f"The model's description (config.json) is over {CONFIG_LIMIT // 2**20} MB, far more "
                        "than any network the lab builds: it is not a model the lab can use.")
            config = json.loads(raw)
    except FileNotFoundError:
        return "The model file is missing."
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, UnicodeDecodeError, EOFError, RecursionError):
        return "The file is not a Keras model (.keras) the lab can read: it is damaged or of another kind."
    names = _class_names(config)
    if names is None:
        return (f"The model's description (config.json) is nested more than {MAX_DEPTH} levels deep, far more "
                "than any network the lab builds: it is not a model the lab can use.")
    found = sorted(names & set(CODE_LAYERS))
    if found:
        return (f"The model holds Python code (a {found[0]} layer); the lab never runs code from "
                "a model file, for safety. Build the same network from layers instead.")
    return None


def _class_names(config) -> set[str] | None:
    """Every ``class_name`` in a Keras configuration, or None when it is nested deeper than
    `MAX_DEPTH` (walked without recursion, so no depth can crash the walk)."""
    names, todo = set(), [(config, 0)]
    while todo:
        node, depth = todo.pop()
        if depth > MAX_DEPTH:
            return None
        if isinstance(node, dict):
            if isinstance(node.get("class_name"), str):
                names.add(node["class_name"])
            todo.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            todo.extend((value, depth + 1) for value in node)
    return names


LOAD_ERROR_CHARS = 200  # of Keras' own first line quoted in `load_error`


def load_error(exc: BaseException) -> str:
    """What to tell about an exception Keras raised while loading a model file: the first
    line of its reason (never its configuration dump), cut at a word, and what to upload.

    Example:
        >>> load_error(TypeError("Could not locate class 'Sequentiel'. Make sure custom classes are decorated"))[:85]
        "Keras could not read the model file (it names 'Sequentiel', which this Keras does not"
        >>> load_error(KeyError("There is no item named 'config.json' in the archive"))
        'Keras could not read the model file ("There is no item named \\'config.json\\' in the archive"). Upload a file saved by Keras 3 with model.save("name.keras").'
    """
    text = str(exc)
    if "safe_mode" in text or "Lambda" in text:
        return ("The model holds Python code (a Lambda layer); the lab never runs code from a "
                "model file, for safety.")
    first = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    unknown_class = re.match(r"Could not locate (?:class|function) '([^']{1,80})'", first)
    if unknown_class:  # Keras' advice on decorating custom classes speaks to the model's author, not to us
        first = (f"it names '{unknown_class.group(1)}', which this Keras does not know: the file is damaged, "
                 "from another Keras version, or holds custom code")
    if len(first) > LOAD_ERROR_CHARS:
        first = first[:LOAD_ERROR_CHARS].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    return f'Keras could not read the model file ({first}). Upload a file saved by Keras 3 with model.save("name.keras").'


def version(path: Path | str) -> str:
    """A file's version: its modification time (ns) and size. A model saved again (a
    checkpoint, a continued run) gets a new version, because it is written beside the old
    one and moved over it (`write_model`).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "run_1.keras"
        >>> _ = path.write_bytes(b"x")
        >>> version(path).endswith(":1")
        True
    """
    info = Path(path).stat()
    return f"{info.st_mtime_ns}:{info.st_size}"


def read_predictions(path: Path | str, key: str) -> np.ndarray | None:
    """The probabilities kept at ``path`` when they were written under ``key``, else None
    (none kept, kept for another model version or test set, or a damaged file).

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "run_1.predictions.npz"
        >>> write_predictions(path, "v1", np.eye(3, dtype=np.float32))
        >>> read_predictions(path, "v1").shape, read_predictions(path, "v2")
        ((3, 3), None)
    """
    try:
        with np.load(path, allow_pickle=False) as kept:
            if str(kept["key"]) != key:
                return None
            return kept["probs"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile, EOFError):
        return None


def write_predictions(path: Path | str, key: str, probs: np.ndarray) -> None:
    """Keep the probabilities ``probs`` (one row per test image) at ``path`` under ``key``,
    atomically (readers see the old file or the new one)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}-{threading.get_ident()}.tmp.npz")  # one per writer
    np.savez_compressed(tmp, key=np.array(key), probs=np.asarray(probs, dtype=np.float32))
    os.replace(tmp, path)
