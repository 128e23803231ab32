"""Read, write and validate datasets in the two RadioMapSeer on-disk layouts (docs/design.md §6).

"authors" layout (the LocNet code): DPM/{map}_{tx}.png, buildings_complete/{map}.png,
antennas/{map}_{tx}.png (one lit pixel), Train|Val|Test/{map}_{tx}_{k}.png 0/1 masks.
"original" RadioMapSeer release: png/buildings_complete, png/antennas, gain/DPM; it has
no split folders, so maps are split by sorted index 501/100/100 (proportionally).
Our optional extensions: cities.csv at the root (map, env_id, city, source, split, ...)
and masks per rate in Test/rate_0.01/{map}_{tx}_{k}.png. Opening a dataset never writes.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
from PIL import Image

from locnet.constants import MAP_SIZE, SPLITS
from locnet.data.sampling import rate_for_sensors, same_rate
from locnet.errors import DatasetError
from locnet.files import atomic_write
from locnet.maps import check_map, indices_to_mask

LAYOUT_DIRS = {
    "authors": {"buildings": "buildings_complete", "antennas": "antennas", "radio": "DPM"},
    "original": {
        "buildings": "png/buildings_complete",
        "antennas": "png/antennas",
        "radio": "gain/DPM",
    },
}
SPLIT_DIRS = {"train": "Train", "val": "Val", "test": "Test"}
ORIGINAL_SPLIT_SIZES = (501, 100, 100)  # train/val/test maps of the paper's 701
METADATA_FILE = "cities.csv"
_MAP_RE = re.compile(r"^(\d+)\.png$")
_SAMPLE_RE = re.compile(r"^(\d+)_(\d+)\.png$")
_MASK_RE = re.compile(r"^(\d+)_(\d+)_(\d+)\.png$")
_RATE_DIR_RE = re.compile(r"^rate_(\d+(?:\.\d+)?)$")


@dataclass(frozen=True)
class MaskRef:
    """One sampling-mask file. rate_percent is None for a flat-folder mask not read yet."""

    split: str
    map_id: int
    tx_id: int
    k: int
    path: Path
    rate_percent: float | None = None


def read_png(path: Path) -> np.ndarray:
    """8-bit gray (256, 256) array of a PNG; DatasetError naming the file if unusable."""
    try:
        with Image.open(path) as image:
            if image.size != (MAP_SIZE, MAP_SIZE):
                raise DatasetError(_size_message(path, image.size))
            if image.mode not in ("L", "1", "P", "RGB", "RGBA", "LA"):
                raise DatasetError(f"{path} has image mode {image.mode}; save it as 8-bit gray PNG")
            if image.mode in ("L", "1"):
                return np.asarray(image.convert("L"), dtype=np.uint8)
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
            if (rgb[..., 0] != rgb[..., 1]).any() or (rgb[..., 0] != rgb[..., 2]).any():
                raise DatasetError(
                    f"{path} is a colour image (its channels differ); maps are 8-bit gray: "
                    "save the gray values as a one-channel PNG (mode L)"
                )
            return np.ascontiguousarray(rgb[..., 0])  # gray stored as R = G = B
    except DatasetError:
        raise
    except (OSError, ValueError) as exc:
        raise DatasetError(f"{path} is not a readable PNG ({exc}); re-export or delete it") from exc


def _size_message(path: Path, size: tuple[int, int]) -> str:
    return (
        f"{path} is {size[0]}x{size[1]} pixels; every map must be {MAP_SIZE}x{MAP_SIZE} "
        "(1 m/pixel) — resize or remove it"
    )


def png_size(path: Path) -> tuple[int, int]:
    """(width, height) from a PNG's IHDR header: reads 24 bytes, no decoding."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(24)
    except OSError as exc:
        raise DatasetError(f"{path} cannot be read ({exc}); check its permissions") from exc
    if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        raise DatasetError(f"{path} is not a PNG file; re-export it as PNG or delete it")
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def _check_size(path: Path) -> None:
    size = png_size(path)
    if size != (MAP_SIZE, MAP_SIZE):
        raise DatasetError(_size_message(path, size))


def _scan(folder: Path, pattern: re.Pattern) -> dict[tuple[int, ...], Path]:
    if not folder.is_dir():
        return {}
    found = {}
    with os.scandir(folder) as entries:
        for entry in entries:
            match = pattern.match(entry.name)
            if match and entry.is_file():
                found[tuple(int(g) for g in match.groups())] = Path(entry.path)
    return found


def detect_layout(root: Path) -> str:
    """ "authors" or "original"; DatasetError saying what is missing otherwise."""
    if root.exists() and not root.is_dir():
        raise DatasetError(
            f"{root} is a file, not a dataset folder; point at a folder holding DPM/ and "
            "buildings_complete/"
        )
    if not root.is_dir():
        raise DatasetError(
            f"dataset folder {root} does not exist; point at a folder holding DPM/ and "
            "buildings_complete/ (make one with: python -m locnet generate --out DIR)"
        )
    for layout, dirs in LAYOUT_DIRS.items():
        if (root / dirs["radio"]).is_dir():
            for kind in ("buildings", "antennas"):
                if not (root / dirs[kind]).is_dir():
                    raise DatasetError(
                        f"{root / dirs[kind]} is missing: radio maps in {root / dirs['radio']} "
                        f"need it ({layout} RadioMapSeer layout); copy that folder there"
                    )
            return layout
    raise DatasetError(
        f"{root} is not a RadioMapSeer dataset: expected DPM/, buildings_complete/, antennas/ "
        "(authors' layout) or gain/DPM/, png/buildings_complete/, png/antennas/ (original)"
    )


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
        self._building_files = {k[0]: p for k, p in _scan(dirs["buildings"], _MAP_RE).items()}
        self._radio_files = _scan(dirs["radio"], _SAMPLE_RE)
        self._antenna_files = _scan(dirs["antennas"], _SAMPLE_RE)
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
                    match = _RATE_DIR_RE.match(entry.name)
                    if match and entry.is_dir():
                        folders.append((Path(entry.path), float(match.group(1))))
            for path, rate in sorted(folders, key=lambda f: (f[1] is not None, f[1] or 0.0)):
                for (m, t, k), file in sorted(_scan(path, _MASK_RE).items()):
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
            _check_size(path)
        for path in self._radio_files.values():
            _check_size(path)
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
        _check_split(split)
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
        _check_split(split)
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


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise DatasetError(f"unknown split '{split}'; use one of {', '.join(SPLITS)}")


def open_dataset(root: str | os.PathLike) -> RadioMapDataset:
    """Open and validate a dataset folder in either RadioMapSeer layout (read-only)."""
    return RadioMapDataset(root)


def write_png_atomic(path: Path, array: np.ndarray) -> None:
    """Write a uint8 2-D array as PNG via a temp file + os.replace (never a half file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = Image.fromarray(np.ascontiguousarray(array, dtype=np.uint8))
    atomic_write(path, lambda tmp: image.save(tmp, format="PNG"), fsync=False)


class DatasetWriter:
    """Writes maps, radio maps, antennas, masks and cities.csv; every file atomically.

    layout="authors" (default) is what the LocNet code reads; "original" mirrors the
    RadioMapSeer release (no mask folders) and exists mainly for tests.
    """

    def __init__(self, root: str | os.PathLike, layout: str = "authors", *, create: bool = True):
        if layout not in LAYOUT_DIRS:
            raise DatasetError(f"unknown layout '{layout}'; use one of {', '.join(LAYOUT_DIRS)}")
        self.root = Path(root).expanduser()
        self.layout = layout
        self._dirs = {k: self.root / v for k, v in LAYOUT_DIRS[layout].items()}
        for folder in self._dirs.values() if create else ():
            folder.mkdir(parents=True, exist_ok=True)

    def buildings_path(self, map_id: int) -> Path:
        return self._dirs["buildings"] / f"{int(map_id)}.png"

    def radio_path(self, map_id: int, tx_id: int) -> Path:
        return self._dirs["radio"] / f"{int(map_id)}_{int(tx_id)}.png"

    def antenna_path(self, map_id: int, tx_id: int) -> Path:
        return self._dirs["antennas"] / f"{int(map_id)}_{int(tx_id)}.png"

    def mask_path(
        self, split: str, map_id: int, tx_id: int, k: int, rate_percent: float | None = None
    ) -> Path:
        """Train|Val|Test/[rate_R/]{map}_{tx}_{k}.png (rate folder only when a rate is given)."""
        if self.layout != "authors":
            raise DatasetError(
                "the original RadioMapSeer layout has no mask folders; use layout='authors'"
            )
        _check_split(split)
        folder = self.root / SPLIT_DIRS[split]
        if rate_percent is not None:
            folder = folder / f"rate_{rate_percent:g}"
        return folder / f"{int(map_id)}_{int(tx_id)}_{int(k)}.png"

    def write_buildings(self, map_id: int, buildings: np.ndarray) -> Path:
        """0/1 building map -> 0/255 PNG (as RadioMapSeer stores it)."""
        path = self.buildings_path(map_id)
        buildings = check_map(buildings, "building map", hint="", error=DatasetError)
        write_png_atomic(path, (buildings != 0).astype(np.uint8) * 255)
        return path

    def write_radio_map(self, map_id: int, tx_id: int, gray: np.ndarray) -> Path:
        path = self.radio_path(map_id, tx_id)
        gray = check_map(gray, f"radio map {map_id}_{tx_id}", hint="", error=DatasetError)
        if gray.dtype != np.uint8:
            raise DatasetError(f"radio map {map_id}_{tx_id} must be uint8 gray, got {gray.dtype}")
        write_png_atomic(path, gray)
        return path

    def write_antenna(self, map_id: int, tx_id: int, xy: tuple[int, int]) -> Path:
        """Antenna image: one pixel = 255 at (x, y) = (column, row)."""
        x, y = int(xy[0]), int(xy[1])
        if not (0 <= x < MAP_SIZE and 0 <= y < MAP_SIZE):
            raise DatasetError(f"transmitter ({x}, {y}) of map {map_id} is off the map")
        image = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
        image[y, x] = 255
        path = self.antenna_path(map_id, tx_id)
        write_png_atomic(path, image)
        return path

    def write_mask(
        self,
        split: str,
        map_id: int,
        tx_id: int,
        k: int,
        mask: np.ndarray,
        rate_percent: float | None = None,
    ) -> Path:
        """0/1 mask stored as 0/1 (what the authors' code multiplies with)."""
        path = self.mask_path(split, map_id, tx_id, k, rate_percent)
        mask = check_map(mask, "sampling mask", hint="", error=DatasetError)
        write_png_atomic(path, (mask != 0).astype(np.uint8))
        return path

    def write_metadata(self, table: pd.DataFrame) -> Path:
        """cities.csv (one row per map: map, env_id, city, source, split, attribution, ...)."""
        if "map" not in table.columns:
            raise DatasetError("metadata table needs a 'map' column")
        return atomic_write(self.root / METADATA_FILE, lambda tmp: table.to_csv(tmp, index=False))
