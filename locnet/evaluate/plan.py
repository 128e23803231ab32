"""What `evaluate` runs: the models, the samples and the data each sample needs.

A sample is (map, transmitter, rate, mask k). Masks come from the split's mask files for
a rate when the dataset has them, else they are drawn at random, seeded per sample, so
every model (and every rerun) sees the same sensors.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from locnet.data.radiomapseer import RadioMapDataset
from locnet.data.sampling import evaluation_mask_rng, sample_mask
from locnet.errors import LocNetError
from locnet.models import checkpoints as ckpt
from locnet.models.checkpoints import how_to_get
from locnet.models.registry import available_models, fixed_variant, model_info


@dataclass(frozen=True)
class ModelEntry:
    """One evaluated model: what the tables call it and where its weights came from."""

    label: str  # what the user asked for: registry name, checkpoint stem or path
    model: str
    variant: str
    path: Path | None = None  # None for classical models
    budget: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)


def resolve_models(specs: list[str], checkpoint_dir: str | os.PathLike) -> list[ModelEntry]:
    """Registry names, checkpoint stems, paths or NAME=PATH (bare state_dict) -> entries;
    'all' = every checkpoint in the folder plus every classical model. Trainable names load
    `{checkpoint_dir}/{name}.pt`."""
    names, entries = available_models(), []
    for spec in specs:
        if spec == "all":
            for problem in ckpt.checkpoint_problems(checkpoint_dir):
                print(f"warning: skipped {problem}", file=sys.stderr)
            infos = ckpt.list_checkpoints(checkpoint_dir)
            entries += [  # trained models; simfit's calibration files only when named
                ModelEntry(i.path.stem, i.model, i.variant, i.path, i.budget, i.metrics)
                for i in infos
                if model_info(i.model).trainable
            ]
            entries += [
                ModelEntry(n, n, "default") for n in names if model_info(n).family == "classical"
            ]
            continue
        fixed = fixed_variant(spec)
        if fixed is not None:  # a model without weights (simfit-robust): built from options,
            path = ckpt.weightless_calibration(spec, checkpoint_dir, *fixed)  # calibrated by its file
            entries.append(ModelEntry(spec, fixed[0], ckpt.variant_name(*fixed), path))
            continue
        name, _, weights = spec.partition("=")
        if weights:  # NAME=PATH: a bare state_dict such as the authors' Pretrained_LocNet.pt
            if name not in names:
                raise LocNetError(f"'{spec}': unknown model '{name}'; models: {', '.join(names)}")
            ckpt.load_weights(weights, name)  # fails now, with the file named, if it does not fit
            entries.append(ModelEntry(spec, name, ckpt.variant_name(name, {}), Path(weights)))
            continue
        path = ckpt.resolve_checkpoint(spec, checkpoint_dir)
        if not path.is_file():
            hint = (
                how_to_get(spec)
                if spec in names
                else f"models: {', '.join(names)}; or a checkpoint stem/path"
            )
            raise LocNetError(f"no checkpoint for '{spec}': {path} does not exist; {hint}")
        info = ckpt.checkpoint_info(path)
        if spec in names and info.model != spec:
            raise LocNetError(
                f"{path} holds a '{info.model}' model, not '{spec}'; pass it as "
                f"'{path}' (any model) or put a '{spec}' checkpoint there"
            )
        entries.append(ModelEntry(spec, info.model, info.variant, path, info.budget, info.metrics))
    unique, seen = [], set()
    for entry in entries:
        source = entry.path.resolve() if entry.path else entry.model
        if any((e.path.resolve() if e.path else e.model) == source for e in unique):
            continue  # asked twice (e.g. 'all,centre')
        if (entry.model, entry.variant) in seen:  # two checkpoints of one variant: keep both apart
            entry = replace(entry, variant=f"{entry.variant}@{entry.label}")
        seen.add((entry.model, entry.variant))
        unique.append(entry)
    if not unique:
        raise LocNetError(
            "no models to evaluate; pass --models (registry names, checkpoint stems or paths)"
        )
    return unique


def plan_samples(
    source: RadioMapDataset,
    split: str,
    rates: list[float],
    masks_per_tx: int,
    limit: int | None,
    seed: int,
) -> tuple[list[tuple], dict[str, str]]:
    """[(map, tx, rate, k, MaskRef or None)] sorted by (map, tx) and the mask source per rate.

    limit: at most this many (map, tx) pairs, a seeded choice spread over the split."""
    pairs = source.samples_in(split)
    if not pairs:
        raise LocNetError(f"split '{split}' of {source.root} has no samples; pick another --split")
    if limit is not None and limit < len(pairs):
        if limit < 1:
            raise LocNetError(f"--limit must be >= 1, got {limit}")
        chosen = np.sort(np.random.default_rng(seed).choice(len(pairs), size=limit, replace=False))
        pairs = [pairs[i] for i in chosen]
    plan, sources = [], {}
    for rate in rates:
        files: dict[tuple[int, int], list] = {}
        for ref in source.mask_refs(split, rate):
            files.setdefault((ref.map_id, ref.tx_id), []).append(ref)
        sources[f"{rate:g}"] = "files" if files else "random"
        for map_id, tx_id in pairs:
            refs = sorted(files.get((map_id, tx_id), []), key=lambda r: r.k)[:masks_per_tx]
            if files:
                plan += [(map_id, tx_id, rate, ref.k, ref) for ref in refs]
            else:
                plan += [(map_id, tx_id, rate, k, None) for k in range(masks_per_tx)]
    plan.sort(key=lambda s: (s[0], s[1], s[2], s[3]))
    return plan, sources


class SampleLoader:
    """Decodes each building/radio map once (samples come sorted by map and transmitter)."""

    def __init__(self, source: RadioMapDataset, seed: int):
        self.source, self.seed = source, seed
        self._buildings: dict[int, np.ndarray] = {}
        self._radio: tuple[tuple[int, int], np.ndarray] | None = None

    def __call__(self, sample: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple[int, int]]:
        map_id, tx_id, rate, k, ref = sample
        if map_id not in self._buildings:
            self._buildings = {map_id: self.source.buildings(map_id)}
        buildings = self._buildings[map_id]
        if self._radio is None or self._radio[0] != (map_id, tx_id):
            self._radio = ((map_id, tx_id), self.source.radio_map(map_id, tx_id))
        if ref is not None:
            mask = self.source.load_mask(ref)
        else:
            rng = evaluation_mask_rng(self.seed, map_id, tx_id, rate, k)
            mask = sample_mask(buildings, rate, rng)
        return self._radio[1], mask, buildings, self.source.transmitter(map_id, tx_id)


def planned_batches(
    source: RadioMapDataset, plan: list[tuple], batch_size: int, quiet: bool
) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]]:
    """The plan's samples in batches of (gray, mask, buildings, truth xy) tensors, masks
    drawn by SampleLoader (seed 0, the evaluation's): what calibrate and fuse run over."""
    load = SampleLoader(source, seed=0)
    for start in tqdm(range(0, len(plan), batch_size), disable=quiet, unit="batch"):
        gray, mask, buildings, txs = zip(*(load(s) for s in plan[start : start + batch_size]))
        arrays = [torch.from_numpy(np.stack(a)) for a in (gray, mask, buildings)]
        yield (*arrays, torch.tensor(txs))


def _environment(source: RadioMapDataset) -> dict[int, tuple[str, str]]:
    table = source.metadata
    if table is None:
        return {}
    env = table["env_id"].astype(str) if "env_id" in table else table["map"].astype(str)
    city = (
        table["city"].fillna("unknown").astype(str) if "city" in table else ["unknown"] * len(table)
    )
    return {int(m): (e, c) for m, e, c in zip(table["map"], env, city)}
