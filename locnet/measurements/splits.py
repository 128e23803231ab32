"""The POWDER dataset's own test splits and the training side this project derives for each.

Each split is one of the dataset's test files (a JSON object keyed by sample timestamp,
under `Separated_Dataset_JSON/train_test_splits/`). The dataset's training files are not
in the copy we hold, so a split's **training side is every other one-transmitter sample**
(every imported one-transmitter sample whose timestamp is not in the test file); the
two-transmitter samples are in neither side.
"""

from __future__ import annotations

from dataclasses import dataclass

SPLITS_FOLDER = "Separated_Dataset_JSON/train_test_splits"
TRAINING_SIDE = "every one-transmitter sample not in the test file"


@dataclass(frozen=True)
class SplitSpec:
    """One test split: its name here, the dataset's family and its file (under SPLITS_FOLDER)."""

    name: str
    family: str
    file: str
    about: str


SPLITS: tuple[SplitSpec, ...] = (
    SplitSpec("random", "random", "random_split/random_test.json", "random 20 % hold-out"),
    SplitSpec("grid", "spatial", "grid_split/grid_test.json", "spatial hold-out (grid cells)"),
    SplitSpec("april", "seasonal", "seasonal_split/april.json", "April 2022 samples"),
    SplitSpec("november", "seasonal", "seasonal_split/november.json", "November 2022 samples"),
    SplitSpec("walking", "transport", "transportation_split/walking.json", "walking transmitters"),
    SplitSpec("driving", "transport", "transportation_split/driving.json", "driving transmitters"),
    SplitSpec("indoor", "special", "special_test_cases/indoor.json", "indoor transmitters"),
    SplitSpec(
        "off_campus", "special", "special_test_cases/off_campus.json", "off-campus transmitters"
    ),
)
SPLIT_NAMES = tuple(s.name for s in SPLITS)
