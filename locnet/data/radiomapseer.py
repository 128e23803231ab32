"""Read and validate datasets in the two RadioMapSeer on-disk layouts (docs/design.md §6).

"authors" layout (the LocNet code): DPM/{map}_{tx}.png, buildings_complete/{map}.png,
antennas/{map}_{tx}.png (one lit pixel), Train|Val|Test/{map}_{tx}_{k}.png 0/1 masks.
"original" RadioMapSeer release: png/buildings_complete, png/antennas, gain/DPM; it has
no split folders, so maps are split by sorted index 501/100/100 (proportionally).
Our optional extensions: cities.csv at the root (map, env_id, city, source, split, ...)
and masks per rate in Test/rate_0.01/{map}_{tx}_{k}.png. Opening a dataset never writes.
Layout names live in `layout`, PNG helpers in `png` and the writer in `writer`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from locnet.constants import MAP_SIZE, SPLITS
from locnet.data.layout import (
    LAYOUT_DIRS,
    MAP_RE,
    MASK_RE,
    METADATA_FILE,
    ORIGINAL_SPLIT_SIZES,
    RATE_DIR_RE,
    SAMPLE_RE,
    SPLIT_DIRS,
    MaskRef,
    check_split,
    detect_layout,
    scan_files,
)
from locnet.data.maps import indices_to_mask
from locnet.data.png import check_size, read_png
from locnet.data.sampling import rate_for_sensors, same_rate
from locnet.errors import DatasetError


class RadioMapDataset:
    """A dataset folder opened read-only; cheap checks on open, deeper ones on read."""

    def __init__(self, root: str | os.PathLike):
        try:
            self.root = Path(root).expanduser().resolve()
        except (RuntimeError, OSError) as exc:  # a symlink loop: RuntimeError before 3.13
            raise DatasetError(
                f"dataset folder {root} is a symbolic link loop ({exc}); point at the real folder"
            ) from exc
        self.layout = detect_layout(self.root)
        dirs = {k: self.root / v for k, v in LAYOUT_DIRS[self.layout].items()}
        self._building_files = {k[0]: p for k, p in scan_files(dirs["buildings"], MAP_RE).items()}
        self._radio_files = scan_files(dirs["radio"], SAMPLE_RE)
        self._antenna_files = scan_files(dirs["antennas"], SAMPLE_RE)
        self._masks = self._scan_masks() if self.layout == "authors" else {s: [] for s in SPLITS}
        self._mask_counts: dict[Path, int] = {}
        self._tx_cache: dict[tuple[int, int], tuple[int, int]] = {}
        self._validate_listing()
        self.maps = sorted({m for m, _ in self._radio_files})
        self._split_of_map = self._assign_splits()

    # ---- opening -------------------------------------------------------------------------
    def _scan_masks(self) -> dict[str, list[MaskRef]]:
        masks: dict[str, list[MaskRef]] = {s: [] for s in SPLITS}
        for split, name in SPLIT_DIRS.items():
            folder = self.root / name
            if not folder.is_dir():
                continue
            folders: list[tuple[Path, float | None]] = [(folder, None)]
            with os.scandir(folder) as entries:
                for entry in entries:
                    match = RATE_DIR_RE.match(entry.name)
                    if match and entry.is_dir():
                        folders.append((Path(entry.path), float(match.group(1))))
            for path, rate in sorted(folders, key=lambda f: (f[1] is not None, f[1] or 0.0)):
                for (m, t, k), file in sorted(scan_files(path, MASK_RE).items()):
                    masks[split].append(MaskRef(split, m, t, k, file, rate))
        return masks

    def _validate_listing(self) -> None:
        dirs = LAYOUT_DIRS[self.layout]
        if not self._radio_files:
            raise DatasetError(
                f"{self.root / dirs['radio']} holds no radio maps named {{map}}_{{tx}}.png; "
                "check the folder or regenerate the dataset"
            )
        for (m, t), path in sorted(self._radio_files.items()):
            if m not in self._building_files:
                missing = self.root / dirs["buildings"] / f"{m}.png"
                raise DatasetError(
                    f"radio map {path} has no building map {missing}; "
                    "add it or remove the radio map"
                )
            if (m, t) not in self._antenna_files:
                missing = self.root / dirs["antennas"] / f"{m}_{t}.png"
                raise DatasetError(
                    f"radio map {path} has no transmitter image {missing}; "
                    "add it or remove the radio map"
                )
        for path in self._building_files.values():
            check_size(path)
        for path in self._radio_files.values():
            check_size(path)
        for refs in self._masks.values():
            for ref in refs:
                if (ref.map_id, ref.tx_id) not in self._radio_files:
                    raise DatasetError(
                        f"sampling mask {ref.path} refers to map {ref.map_id} transmitter "
                        f"{ref.tx_id}, which has no radio map in {self.root / dirs['radio']}; "
                        "remove the mask or add the radio map"
                    )

    @cached_property
    def metadata(self) -> pd.DataFrame | None:
        """cities.csv as a DataFrame (one row per map), or None when absent."""
        path = self.root / METADATA_FILE
        if not path.is_file():
            return None
        try:
            table = pd.read_csv(path)
        except (OSError, ValueError) as exc:
            raise DatasetError(f"{path} is not a readable CSV ({exc}); fix or delete it") from exc
        if "map" not in table.columns:
            raise DatasetError(f"{path} has no 'map' column; it must list one row per map id")
        ids = pd.to_numeric(table["map"], errors="coerce")
        if ids.isna().any() or (ids != ids.round()).any():
            bad = table["map"][ids.isna() | (ids != ids.round())].astype(str).tolist()[:3]
            raise DatasetError(
                f"{path}: map ids must be whole numbers (the N of buildings N.png), got {bad}"
            )
        if "split" in table.columns:
            bad = sorted(set(table["split"].dropna()) - set(SPLITS))
            if bad:
                raise DatasetError(f"{path} has unknown split(s) {bad}; use train, val or test")
        return table

    def _assign_splits(self) -> dict[int, str]:
        table = self.metadata
        if table is not None and "split" in table.columns:
            given = dict(zip(table["map"].astype(int), table["split"]))
            return {m: given[m] for m in self.maps if m in given and isinstance(given[m], str)}
        if any(self._masks.values()):
            splits: dict[int, str] = {}
            for split, refs in self._masks.items():
                for ref in refs:
                    if splits.setdefault(ref.map_id, split) != split:
                        first = SPLIT_DIRS[splits[ref.map_id]]
                        raise DatasetError(
                            f"map {ref.map_id} has masks in both {first}/ and "
                            f"{SPLIT_DIRS[split]}/ (e.g. {ref.path}); splits are by environment: "
                            f"move them or add {METADATA_FILE} with a split column"
                        )
            return splits
        n = len(self.maps)
        n_train = round(n * ORIGINAL_SPLIT_SIZES[0] / sum(ORIGINAL_SPLIT_SIZES))
        n_val = round(n * ORIGINAL_SPLIT_SIZES[1] / sum(ORIGINAL_SPLIT_SIZES))
        return {
            m: "train" if i < n_train else "val" if i < n_train + n_val else "test"
            for i, m in enumerate(self.maps)
        }

    # ---- queries -------------------------------------------------------------------------
    def split_of_map(self, map_id: int) -> str | None:
        """Split of a map (cities.csv > mask folders > sorted index 501/100/100), or None."""
        return self._split_of_map.get(int(map_id))

    def samples_in(self, split: str) -> list[tuple[int, int]]:
        """Sorted (map_id, tx_id) pairs with a radio map whose map belongs to `split`."""
        check_split(split)
        return sorted(s for s in self._radio_files if self._split_of_map.get(s[0]) == split)

    @property
    def samples(self) -> list[tuple[int, int]]:
        return sorted(self._radio_files)

    def buildings(self, map_id: int) -> np.ndarray:
        """0/1 uint8 (256, 256) building map (any nonzero gray is a building)."""
        path = self._building_files.get(int(map_id))
        if path is None:
            raise DatasetError(
                f"map {map_id} is not in {self.root}; choose one of {self.maps[:10]}..."
            )
        return (read_png(path) != 0).astype(np.uint8)

    def radio_map(self, map_id: int, tx_id: int) -> np.ndarray:
        """uint8 gray (256, 256) radio map (gain_dB = -147 + gray/255 * 99.16)."""
        return read_png(self._sample_path(self._radio_files, map_id, tx_id))

    def transmitter(self, map_id: int, tx_id: int) -> tuple[int, int]:
        """(x, y) = (column, row) of the single lit pixel of the antenna image."""
        key = (int(map_id), int(tx_id))
        if key not in self._tx_cache:
            path = self._sample_path(self._antenna_files, *key)
            lit = np.flatnonzero(read_png(path))
            if lit.size != 1:
                raise DatasetError(
                    f"{path} has {lit.size} lit pixels; an antenna image must have exactly one "
                    "(the transmitter) — fix or regenerate it"
                )
            self._tx_cache[key] = (int(lit[0] % MAP_SIZE), int(lit[0] // MAP_SIZE))
        return self._tx_cache[key]

    def _sample_path(self, files: dict, map_id: int, tx_id: int) -> Path:
        path = files.get((int(map_id), int(tx_id)))
        if path is None:
            raise DatasetError(f"no radio map for map {map_id} transmitter {tx_id} in {self.root}")
        return path

    def mask_refs(
        self, split: str, rate_percent: float | None = None, *, read_rates: bool = False
    ) -> list[MaskRef]:
        """Mask files of a split, optionally only those at `rate_percent` (same sensor count).

        Flat-folder masks carry no rate in their path; they are read (once) when a rate
        filter or read_rates=True needs it, and get rate = sensors / 65536 * 100 (snapped
        to the standard rates).
        """
        check_split(split)
        refs = self._masks[split]
        if rate_percent is not None or read_rates:
            refs = [r if r.rate_percent is not None else self._with_rate(r) for r in refs]
        if rate_percent is not None:
            refs = [r for r in refs if same_rate(r.rate_percent, rate_percent)]
        return list(refs)

    def _with_rate(self, ref: MaskRef) -> MaskRef:
        if ref.path not in self._mask_counts:
            self.load_mask(ref)
        return replace(ref, rate_percent=rate_for_sensors(self._mask_counts[ref.path]))

    def mask_rates(self, split: str) -> list[float]:
        """Sorted distinct rates (%) of a split's masks (reads flat-folder masks)."""
        return sorted({r.rate_percent for r in self.mask_refs(split, read_rates=True)})

    def mask_sensors(self, ref: MaskRef) -> np.ndarray:
        """Flat pixel indices (row * 256 + col) of a mask's sensors, validated.

        Files may store sensors as 1 or as 255 (one of the two), everything else 0.
        """
        flat = read_png(ref.path).reshape(-1)
        sensors = np.flatnonzero(flat)
        values = flat[sensors]
        if sensors.size == 0:
            raise DatasetError(f"{ref.path} has no sensors; delete it or add at least one")
        low, high = int(values.min()), int(values.max())
        if low != high or low not in (1, 255):
            found = sorted({0, *np.unique(values).tolist()})[:6]
            raise DatasetError(
                f"{ref.path} is not a 0/1 sampling mask (values {found}); store "
                "sensors as 1 (or 255) and everything else as 0"
            )
        self._mask_counts[ref.path] = int(sensors.size)
        return sensors

    def load_mask(self, ref: MaskRef) -> np.ndarray:
        """0/1 uint8 (256, 256) sampling mask (see mask_sensors for the accepted files)."""
        return indices_to_mask(self.mask_sensors(ref))

    def fingerprint(self, *, with_mtimes: bool = False) -> str:
        """Stable 16-hex hash of the dataset's file names and sizes (cheap: no reads).

        Without mtimes it survives a `git clone` or copy, so results and checkpoints made on
        the committed demo data still match it; caches pass `with_mtimes=True` so that any
        rewrite of a file invalidates them.
        """
        digest = hashlib.sha256(self.layout.encode())
        files = [*self._building_files.values(), *self._radio_files.values()]
        files += [*self._antenna_files.values(), *(r.path for v in self._masks.values() for r in v)]
        meta = self.root / METADATA_FILE
        files += [meta] if meta.is_file() else []
        for path in sorted(files):
            stat = path.stat()
            stamp = f"\0{stat.st_mtime_ns}" if with_mtimes else ""
            digest.update(f"{path.relative_to(self.root)}\0{stat.st_size}{stamp}\n".encode())
        return digest.hexdigest()[:16]



def open_dataset(root: str | os.PathLike) -> RadioMapDataset:
    """Open and validate a dataset folder in either RadioMapSeer layout (read-only)."""
    return RadioMapDataset(root)
