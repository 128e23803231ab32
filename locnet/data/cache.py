"""The packed cache under LocalizationDataset: a split's PNGs decoded once into uint8 memmaps.

Per dataset folder, fingerprint and split: buildings.u8 and radio.u8 raw uint8 memmaps
plus index.npz (sample ids, transmitter positions, masks as sensor pixel indices). It
lives under $LOCNET_CACHE or ~/.cache/locnet (a temp dir if that is not writable),
never inside the dataset, and is rebuilt when the folder changes.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from tqdm import tqdm

from locnet.constants import MAP_SIZE
from locnet.data.radiomapseer import RadioMapDataset
from locnet.data.sampling import rate_for_sensors
from locnet.errors import DatasetError

CACHE_VERSION = "locnet-cache/1"
PACK_THREADS = min(8, os.cpu_count() or 1)  # PNG decoding threads while building the cache
PACK_PROGRESS_MIN = 5000  # show a progress bar when packing at least this many files


def default_cache_dir() -> Path:
    """$LOCNET_CACHE, else ~/.cache/locnet, else a per-user temp dir when not writable."""
    for candidate in (os.environ.get("LOCNET_CACHE"), Path.home() / ".cache" / "locnet"):
        if candidate and _writable(Path(candidate)):
            return Path(candidate)
    fallback = (
        Path(tempfile.gettempdir()) / f"locnet-cache-{os.getuid() if hasattr(os, 'getuid') else 0}"
    )
    fallback.mkdir(parents=True, exist_ok=True)
    return fallback


def _writable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def build_cache(
    source: RadioMapDataset, split: str, cache_dir: str | os.PathLike | None = None
) -> Path:
    """Folder of the packed split (built once; reused while the dataset fingerprint holds).

    buildings.u8 (maps, 256, 256), radio.u8 (samples, 256, 256) raw uint8 memmaps and
    index.npz: sample ids/positions and masks as sensor flat indices (uint16) + offsets.
    """
    wanted = cache_dir or os.environ.get("LOCNET_CACHE")
    for base in [Path(wanted).expanduser().resolve()] if wanted else []:
        if base == source.root or source.root in base.parents:  # checked before creating it
            raise DatasetError(
                f"cache dir {base} is inside the dataset {source.root}; a dataset is never "
                "written to: set LOCNET_CACHE (or cache_dir) to a folder outside it"
            )
    base = Path(cache_dir).expanduser().resolve() if cache_dir else default_cache_dir().resolve()
    key = f"{CACHE_VERSION}|{source.root}|{split}"
    final = base / f"{_hash(key + '|' + source.fingerprint(with_mtimes=True))}"
    if (final / "index.npz").is_file():
        return final
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=base))
    try:
        _pack(source, split, tmp)
        (tmp / "source.json").write_text(
            json.dumps(
                {"key": _hash(key), "root": str(source.root), "split": split, "built": time.time()}
            )
        )
        try:
            os.replace(tmp, final)
        except OSError:  # another process finished first: use its cache
            if not (final / "index.npz").is_file():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    _remove_stale(base, final, _hash(key))
    return final


def _hash(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _remove_stale(base: Path, keep: Path, key: str) -> None:
    """Delete older caches of the same dataset folder and split (the folder changed)."""
    for other in base.iterdir():
        meta = other / "source.json"
        if other != keep and meta.is_file():
            try:
                if json.loads(meta.read_text()).get("key") == key:
                    shutil.rmtree(other, ignore_errors=True)
            except (OSError, ValueError):
                continue


def _pack(source: RadioMapDataset, split: str, folder: Path) -> None:
    """Decode the split's PNGs once (threads: PIL decodes without the GIL) into the cache."""
    samples = source.samples_in(split)
    map_ids = sorted({m for m, _ in samples})
    row_of = {m: i for i, m in enumerate(map_ids)}
    shape = (MAP_SIZE, MAP_SIZE)
    b_mm = np.memmap(folder / "buildings.u8", np.uint8, "w+", shape=(max(1, len(map_ids)), *shape))
    r_mm = np.memmap(folder / "radio.u8", np.uint8, "w+", shape=(max(1, len(samples)), *shape))
    tx_xy = np.zeros((len(samples), 2), dtype=np.int32)
    sample_of = {s: i for i, s in enumerate(samples)}
    refs = [r for r in source.mask_refs(split) if (r.map_id, r.tx_id) in sample_of]

    def put_buildings(m: int) -> None:
        b_mm[row_of[m]] = source.buildings(m)

    def put_sample(i: int) -> None:
        r_mm[i] = source.radio_map(*samples[i])
        tx_xy[i] = source.transmitter(*samples[i])

    total = len(map_ids) + len(samples) + len(refs)
    with (
        ThreadPoolExecutor(PACK_THREADS) as pool,
        tqdm(
            total=total, desc=f"caching {split}", unit="file", disable=total < PACK_PROGRESS_MIN
        ) as bar,
    ):
        for _ in pool.map(put_buildings, map_ids):
            bar.update()
        for _ in pool.map(put_sample, range(len(samples))):
            bar.update()
        sensors = []
        for found in pool.map(source.mask_sensors, refs):
            sensors.append(found.astype(np.uint16))
            bar.update()
    b_mm.flush()
    r_mm.flush()
    offsets = np.zeros(len(refs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(s) for s in sensors])
    rates = [
        r.rate_percent if r.rate_percent is not None else rate_for_sensors(len(s))
        for r, s in zip(refs, sensors)
    ]
    np.savez(
        folder / "index.npz",
        sample_ids=np.asarray(samples, dtype=np.int64).reshape(-1, 2),
        sample_map=np.asarray([row_of[m] for m, _ in samples], dtype=np.int64),
        tx_xy=tx_xy,
        mask_sample=np.asarray([sample_of[(r.map_id, r.tx_id)] for r in refs], dtype=np.int64),
        mask_k=np.asarray([r.k for r in refs], dtype=np.int64),
        mask_rate=np.asarray(rates, dtype=np.float64),
        mask_offsets=offsets,
        mask_idx=np.concatenate(sensors) if sensors else np.zeros(0, np.uint16),
    )

