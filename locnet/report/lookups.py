"""Facts the result tables lack, looked up in the dataset and the model registry.

Sensor positions of an evaluated sample, parameter counts of models, and building
statistics of environments (density, open area in m^2, number of blocks).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from scipy import ndimage

from locnet.constants import PIXEL_M
from locnet.data.maps import mask_to_sensors
from locnet.data.sampling import evaluation_mask_rng, sample_mask
from locnet.errors import LocNetError
from locnet.models.registry import count_parameters, create_model


def dataset_map_id(value):
    """A map id from a results table (text) as the dataset names it (an int when numeric)."""
    text = str(value)
    return int(text) if text.isdigit() else value


def _random_mask_seed(meta: Mapping, rate_percent: float) -> int | None:
    """The evaluation seed if meta.json says the masks at this rate were drawn, not read."""
    sources = meta.get("mask_source") or {}
    drawn = any(v == "random" and np.isclose(float(k), rate_percent) for k, v in sources.items())
    return int(meta.get("seed", 0)) if drawn else None


def case_sensors(
    dataset, case: pd.Series | dict, meta: Mapping | None = None
) -> list[tuple[int, int]] | None:
    """Sensor pixels (x, y) of one evaluated sample, or None if they cannot be recovered.

    `dataset` is a locnet.data.radiomapseer.RadioMapDataset. The mask is the file with
    the sample's (map, tx, mask index k) at its rate in the map's split; when meta.json
    says that rate's masks were drawn at random, the same seeded draw as
    locnet.evaluate.run's is repeated.
    """
    map_id, rate = dataset_map_id(case["map"]), float(case["rate_percent"])
    key = (map_id, int(case["tx"]), int(case["mask"]))
    split = dataset.split_of_map(map_id)
    seed = _random_mask_seed(meta or {}, rate)
    mask = None
    if seed is not None:
        rng = evaluation_mask_rng(seed, key[0], key[1], rate, key[2])
        mask = sample_mask(dataset.buildings(map_id), rate, rng)
    elif split is not None:
        ref = next(
            (r for r in dataset.mask_refs(split, rate) if (r.map_id, r.tx_id, r.k) == key), None
        )
        mask = None if ref is None else dataset.load_mask(ref)
    if mask is None:
        return None
    return mask_to_sensors(mask)


def model_parameters(models: list[str]) -> dict[str, int | None]:
    """Trainable-or-not parameter count of each registry model (default options); None if
    the model is unknown to the registry or cannot be built here."""
    counts: dict[str, int | None] = {}
    for name in models:
        try:
            counts[name] = count_parameters(create_model(name))
        except (LocNetError, ImportError, TypeError, RuntimeError):
            counts[name] = None
    return counts


def environment_statistics(buildings: np.ndarray) -> dict[str, float]:
    """Building density (fraction of pixels), open area (m^2) and number of blocks
    (4-connected building components) of one 0/1 building map."""
    mask = np.asarray(buildings) > 0
    _, n_blocks = ndimage.label(mask)
    return {
        "building_density": float(mask.mean()),
        "open_area_m2": float((~mask).sum() * PIXEL_M**2),
        "n_blocks": int(n_blocks),
    }


def environment_statistics_table(buildings_by_map: dict[str, np.ndarray]) -> pd.DataFrame:
    """environment_statistics for many maps: one row per map, column `map` first."""
    rows = [{"map": str(m), **environment_statistics(b)} for m, b in buildings_by_map.items()]
    return pd.DataFrame(rows, columns=["map", "building_density", "open_area_m2", "n_blocks"])
