"""The four public names of `import locnet` (locnet/__init__.py): loaded on first use and
the very objects their owners define."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import locnet
from locnet.cases.localize import localize
from locnet.data.procedural import procedural_city
from locnet.inference import load_model, predict
from locnet.models.registry import create_model


def test_public_names_are_the_owners_objects():
    assert locnet.__all__ == ["create_model", "load_model", "localize", "predict"]
    assert (locnet.load_model, locnet.predict) == (load_model, predict)
    assert (locnet.create_model, locnet.localize) == (create_model, localize)
    with pytest.raises(AttributeError, match="no attribute 'nothing'"):
        locnet.nothing  # noqa: B018


def test_import_locnet_does_not_load_torch():
    code = "import sys, locnet; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_docstring_example_runs_with_a_classical_model():
    buildings = procedural_city(3).buildings
    outdoor = np.argwhere(buildings == 0)
    sensors = [(int(x), int(y), -100.0 + i) for i, (y, x) in enumerate(outdoor[::4000][:8])]
    model = locnet.load_model("centroid")
    answer = locnet.predict(model, buildings, sensors=sensors)
    assert len(answer.xy) == 2 and buildings.shape == (256, 256)
    assert locnet.create_model("locnet", loss="bbce").options["loss"] == "bbce"
