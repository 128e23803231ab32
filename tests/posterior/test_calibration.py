"""Calibration: the typed record a checkpoint stores, read back strictly (a malformed one is a
CheckpointError naming the file, never a silent 'uncalibrated')."""

from __future__ import annotations

import dataclasses
import math

import pytest
import torch

from locnet.errors import CheckpointError
from locnet.models.checkpoints import CALIBRATION_KEYS
from locnet.posterior.calibration import UNCALIBRATED, Calibration, calibration_of

FILE = "checkpoints/locnet.pt"
GOOD = Calibration(0.5, {"mean": 0.2, "median": 0.3}, "mean", {"split": "val", "n": 3})


def test_no_calibration_is_uncalibrated():
    assert Calibration.from_dict(None, FILE) == UNCALIBRATED
    assert Calibration.from_dict({}, FILE) == UNCALIBRATED  # what `store_calibration(p, {})` keeps
    assert not UNCALIBRATED.calibrated and UNCALIBRATED.label() == "uncalibrated (T = 1)"
    assert (UNCALIBRATED.temperature, UNCALIBRATED.default_readout) == (1.0, "mode")


def test_a_stored_calibration_round_trips():
    assert Calibration.from_dict(GOOD.to_dict(), FILE) == GOOD
    back = Calibration.from_dict({**GOOD.to_dict(), "temperature": 2}, FILE)  # an int is a number
    assert back.temperature == 2.0 and isinstance(back.temperature, float)
    assert back.temperature_for("mean") == 0.2 and back.temperature_for("mode") == 2.0


def test_the_stored_keys_are_the_records_fields():
    assert tuple(f.name for f in dataclasses.fields(Calibration)) == CALIBRATION_KEYS


@pytest.mark.parametrize(
    "change, problem",
    [
        ({"temperature": "hot"}, "temperature must be a finite number > 0, got 'hot'"),
        ({"temperature": -1.0}, "temperature must be a finite number > 0, got -1.0"),
        ({"temperature": 0}, "temperature must be a finite number > 0"),
        ({"temperature": math.nan}, "temperature must be a finite number > 0, got nan"),
        ({"temperature": math.inf}, "temperature must be a finite number > 0, got inf"),
        ({"temperature": True}, "temperature must be a finite number > 0, got True"),
        ({"default_readout": "argmax"}, "default_readout 'argmax' is not a readout (one of mode"),
        ({"default_readout": 1}, "default_readout 1 is not a readout"),
        ({"readout_temperature": {"argmax": 0.5}}, "unknown readout 'argmax'"),
        ({"readout_temperature": {"mean": -0.2}}, "readout_temperature['mean'] must be a finite"),
        ({"readout_temperature": [0.2]}, "readout_temperature is a list, not a dict"),
        ({"fitted": ["val"]}, "fitted is a list, not a dict"),
        ({"temperture": 0.5}, "unknown key(s) temperture"),
    ],
)
def test_a_malformed_calibration_names_the_file_and_the_problem(change, problem):
    stored = {**GOOD.to_dict(), **change}
    with pytest.raises(CheckpointError) as caught:
        Calibration.from_dict(stored, FILE)
    message = str(caught.value)
    assert message.startswith(f"checkpoint {FILE} has a malformed calibration")
    assert problem in message and f"calibrate --checkpoint {FILE}" in message
    assert "\n" not in message  # the CLI prints it as one line


def test_missing_keys_and_non_dicts_are_malformed():
    with pytest.raises(CheckpointError, match="missing readout_temperature, default_readout"):
        Calibration.from_dict({"temperature": 0.5}, FILE)
    with pytest.raises(CheckpointError, match=f"{FILE}.*it is a float, not a dict"):
        Calibration.from_dict(0.5, FILE)
    with pytest.raises(CheckpointError, match="^a checkpoint has a malformed calibration"):
        Calibration.from_dict({"temperature": -1})  # no file known: still loud


def test_calibration_of_reads_what_load_weights_attached():
    model = torch.nn.Linear(1, 1)
    assert calibration_of(model) == UNCALIBRATED
    model.calibration = GOOD.to_dict()
    assert calibration_of(model) == GOOD
    model.calibration = GOOD
    assert calibration_of(model) is GOOD
    model.calibration = {**GOOD.to_dict(), "default_readout": "argmax"}
    with pytest.raises(CheckpointError, match=f"checkpoint {FILE} .*'argmax'"):
        calibration_of(model, FILE)
