"""lab.settings: every LAB_* variable read in one place, with messages for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import settings as lab_settings
from lab.settings import VARIABLES, Settings, SettingsError, markdown_table, settings

ROOT = Path(__file__).resolve().parents[1]


def test_defaults():
    s = Settings.from_env({})
    assert s.home == ROOT / "models" and s.datasets is None and s.offline is False
    assert (s.max_jobs, s.queue_size, s.checkpoint_s) == (1, 8, 20.0)
    assert s.records_path == ROOT / "models" / "runs.sqlite" and s.models_dir == ROOT / "models" / "trained"


def test_values_are_read_and_converted():
    s = Settings.from_env({"LAB_HOME": "/srv/lab", "LAB_DATASETS": "/data", "LAB_OFFLINE": "1",
                           "LAB_MAX_JOBS": " 3 ", "LAB_QUEUE_SIZE": "0", "LAB_CHECKPOINT_S": "2.5",
                           "LAB_MAX_LAYERS": "12"})
    assert (s.home, s.datasets, s.offline) == (Path("/srv/lab"), Path("/data"), True)
    assert (s.max_jobs, s.queue_size, s.checkpoint_s, s.max_layers) == (3, 0, 2.5, 12)
    assert Settings.from_env({"LAB_OFFLINE": "0"}).offline is False
    for word, on in (("yes", True), ("TRUE", True), ("On", True), ("no", False), ("false", False), ("OFF", False)):
        assert Settings.from_env({"LAB_OFFLINE": word}).offline is on


@pytest.mark.parametrize("env, words", [
    ({"LAB_MAX_JOBS": "two"}, "LAB_MAX_JOBS is 'two', but it must be a whole number"),
    ({"LAB_MAX_JOBS": "1.5"}, "LAB_MAX_JOBS is '1.5', but it must be a whole number"),
    ({"LAB_MAX_JOBS": "0"}, "LAB_MAX_JOBS is 0, but it must be at least 1"),
    ({"LAB_QUEUE_SIZE": "-1"}, "LAB_QUEUE_SIZE is -1, but it must be at least 0"),
    ({"LAB_CHECKPOINT_S": "soon"}, "LAB_CHECKPOINT_S is 'soon', but it must be a number"),
    ({"LAB_CHECKPOINT_S": "nan"}, "LAB_CHECKPOINT_S is 'nan', but it must be a number"),  # would never save
    ({"LAB_SERVER_SILENT_S": "inf"}, "LAB_SERVER_SILENT_S is 'inf', but it must be a number"),
    ({"LAB_RAY_FALLBACK": "flase"}, "LAB_RAY_FALLBACK is 'flase', but it must be 1 or 0"),  # a typo: not "on"
    ({"LAB_OFFLINE": "nope"}, "LAB_OFFLINE is 'nope', but it must be 1 or 0"),
])
def test_bad_values_name_the_variable(env, words):
    with pytest.raises(SettingsError) as err:
        Settings.from_env(env)
    assert str(err.value).startswith(words)


def test_read_once_per_environment(monkeypatch):
    monkeypatch.setenv("LAB_MAX_JOBS", "2")
    first = settings()
    assert first.max_jobs == 2 and settings() is first  # not parsed again
    monkeypatch.setenv("LAB_MAX_JOBS", "4")
    assert settings().max_jobs == 4


def test_no_other_module_reads_lab_variables_from_the_environment():
    code = [*(ROOT / "lab").rglob("*.py"), *(ROOT / "ui").rglob("*.py"), *(ROOT / "pages").rglob("*.py"),
            ROOT / "app.py"]
    for path in code:
        if path.name == "settings.py":
            continue
        text = path.read_text()
        assert "os.environ" not in text or "LAB_" not in text.split("os.environ", 1)[1][:80], path
        assert "getenv(\"LAB_" not in text and "environ.get(\"LAB_" not in text, path


def test_the_readme_table_lists_every_variable():
    readme = (ROOT / "README.md").read_text()
    assert markdown_table() in readme
    assert len(VARIABLES) == len({v.name for v in VARIABLES}) and lab_settings.REPO == ROOT
