"""`python -m locnet testset`: the larger held-out test set and its propagation-shift twin.

Two dataset folders made by `generate` (`GenerateConfig.test_only`): every real tile of
the test cities plus procedural maps whose split is test, K transmitters each, masks at
the standard rates. The first folder uses the paper-like propagation, the second draws
random propagation parameters per map (`propagation_params.random_params`). Transmitters and
masks come from their own random streams, seeded by (seed, map, transmitter) and the
building map only, so the two folders share them exactly; `same_sensors` checks that
after writing, so a model's error on the second folder differs only by the propagation.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import time
from contextlib import ExitStack
from pathlib import Path

from locnet.constants import MASKS_PER_TX, RATES_PERCENT
from locnet.data.generate import check_out, generate_dataset
from locnet.data.generate_plan import GenerateConfig
from locnet.data.layout import LAYOUT_DIRS, METADATA_FILE, SPLIT_DIRS
from locnet.errors import LocNetError
from locnet.files import claim_output_folder

SHARED_COLUMNS = ["map", "env_id", "city", "source", "group", "split"]  # of cities.csv


def testset_configs(maps: int, tx_per_map: int, seed: int) -> tuple[GenerateConfig, GenerateConfig]:
    """(paper-like, randomised) configs differing only in the propagation."""
    paper = GenerateConfig(
        n_cities=maps,
        tx_per_city=tx_per_map,
        seed=seed,
        real_fraction=1.0,
        randomize=False,
        rates=RATES_PERCENT,
        masks_per_tx=MASKS_PER_TX,
        test_only=True,
    )
    return paper, dataclasses.replace(paper, randomize=True)


def _digests(root: Path) -> dict[str, str]:
    """sha256 of every antenna and test mask file, by path relative to `root`."""
    folders = [root / LAYOUT_DIRS["authors"]["antennas"], root / SPLIT_DIRS["test"]]
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for folder in folders
        for p in sorted(folder.rglob("*.png"))
    }


def same_sensors(a: str | os.PathLike, b: str | os.PathLike) -> int:
    """Check two generated folders hold the same environments, antennas and masks
    (byte for byte); returns the number of files compared, LocNetError names the first
    difference."""
    import pandas as pd

    a, b = Path(a), Path(b)
    maps_a = pd.read_csv(a / METADATA_FILE)[SHARED_COLUMNS]
    maps_b = pd.read_csv(b / METADATA_FILE)[SHARED_COLUMNS]
    if not maps_a.equals(maps_b):
        raise LocNetError(f"{a} and {b} list other environments in {METADATA_FILE}")
    da, db = _digests(a), _digests(b)
    for name in sorted(set(da) | set(db)):
        if da.get(name) != db.get(name):
            raise LocNetError(
                f"{name} differs between {a} and {b} (or is missing in one); delete both "
                "folders and run the testset command again"
            )
    if not da:
        raise LocNetError(f"no antenna or test mask files in {a}")
    return len(da)


def make_testset(
    out: str | os.PathLike,
    shift_out: str | os.PathLike,
    maps: int,
    tx_per_map: int,
    seed: int,
    *,
    workers: int = 1,
    progress: bool = True,
) -> dict:
    """Generate (or resume) both folders and check they share antennas and masks.

    Every flag and both folders are checked (and claimed, locnet.files.claim_output_folder)
    before the first map is simulated, so a bad --shift-out fails in the first second."""
    if maps < 1 or tx_per_map < 1:
        raise LocNetError(f"--maps and --tx-per-map must be at least 1, got {maps} and {tx_per_map}")
    out, shift_out = Path(out).expanduser(), Path(shift_out).expanduser()
    if out.resolve() == shift_out.resolve():
        raise LocNetError("--out and --shift-out must be two different folders")
    start = time.perf_counter()
    paper, shift = testset_configs(maps, tx_per_map, seed)
    paper.validate()
    folders = ((out, paper, "--out"), (shift_out, shift, "--shift-out"))
    with ExitStack() as claims:
        for folder, config, flag in folders:
            claims.enter_context(claim_output_folder(folder, flag=flag, resume=True))
        for folder, config, flag in folders:
            check_out(folder, config, flag)
        first, second = [
            generate_dataset(folder, config, workers=workers, progress=progress, flag=flag)
            for folder, config, flag in folders
        ]
    files = same_sensors(out, shift_out)
    return {
        "paper": first,
        "shift": second,
        "shared_files": files,
        "seconds": round(time.perf_counter() - start, 1),
    }


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", required=True, help="paper-like test set folder, e.g. data/testset"
    )
    parser.add_argument(
        "--shift-out", required=True, help="randomised-propagation twin, e.g. data/testset-shift"
    )
    parser.add_argument(
        "--maps", type=int, default=60, help="environments: all test-city tiles, then procedural"
    )
    parser.add_argument("--tx-per-map", type=int, default=8, help="transmitters per map")
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def run(args: argparse.Namespace) -> int:
    summary = make_testset(
        args.out,
        args.shift_out,
        args.maps,
        args.tx_per_map,
        args.seed,
        workers=args.workers,
        progress=not args.quiet,
    )
    paper = summary["paper"]
    print(
        f"{args.out} (paper-like) and {args.shift_out} (randomised propagation): "
        f"{paper['maps']} test maps each ({paper['real_maps']} real tiles), "
        f"{paper['radio_maps']} radio maps each; {summary['shared_files']} antenna and mask "
        f"files identical in both; {summary['seconds']} s"
    )
    return 0
