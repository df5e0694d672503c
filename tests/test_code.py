"""lab.code: the Keras code of a network, made without loading Keras (the Architecture page
must not wait for TensorFlow); test_build.py checks that the code builds the same model."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_what_the_pages_import_at_start_loads_no_tensorflow():
    """The lab modules every page imports (Architecture's code export among them) leave
    TensorFlow unloaded: loading it takes seconds, which a class server pays only when a
    page needs a model."""
    code = ("import sys; sys.path.insert(0, '.'); "
            "import lab.code, lab.summary, lab.editor, lab.data, lab.charts, lab.results, lab.classroom, "
            "lab.sweeps, lab.share, lab.identity, lab.jobs, lab.records, lab.predict, lab.evaluate; "
            "print(sorted(m for m in ('keras', 'tensorflow') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
