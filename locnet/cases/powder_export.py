"""`python -m locnet export-powder-case`: one POWDER sample as a campaign case folder
(locnet-case/2, docs/cases.md), which `localize --case` and the app read.

The case holds the sample's heard receivers (id, kind, lat/lon and RSS exactly as the
copy's readings.parquet has them), its transmitter(s) in lat/lon as samples.csv has them,
the copy's campus grid, the 1 W transmit power, and its provenance: dataset "powder", the
copy's fingerprint, the sample id and the split whose test side holds it (`--split`, by
default the first such split in splits.json's order; none for a sample on no test side,
e.g. a two-transmitter one), so `localize` can run the models trained on that split's
training side and score the sample as a test. The folder is written whole into a
temporary folder and renamed into place (measurements.output.write_folder): it appears
complete or not at all.
"""

from __future__ import annotations

import argparse
import shlex
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from locnet.cases.campaign import CampaignCase, campaign_files
from locnet.cases.schema import ProvenanceSpec
from locnet.errors import LocNetError
from locnet.files import atomic_write, output_entries
from locnet.measurements.dataset import DEFAULT_FOLDER, READINGS_FILE, PowderDataset
from locnet.measurements.output import write_folder

DATASET = "powder"
TX_POWER_DBM = 30.0  # the dataset's handheld radios: 1 W (DATASET-README.md)
ATTRIBUTION = (
    "POWDER outdoor RSS dataset (University of Utah, 2022; MIT licence, data/real/powder/LICENSE)"
)


def test_splits_of(dataset: PowderDataset, sample: str) -> list[str]:
    """The splits whose test side holds `sample`, in splits.json's order."""
    return [name for name in dataset.splits if sample in set(dataset.split(name)[1])]


def powder_case(
    dataset: PowderDataset,
    sample: str,
    split: str | None = None,
    command: str = "",
    metadata: dict | None = None,
) -> tuple[CampaignCase, dict[str, bytes]]:
    """The campaign case of one sample and its files; `split` must hold it on its test
    side (None: the first split that does, or no split when none does); `metadata` is
    added to case.json's."""
    dataset.rows([sample])  # DatasetError naming an unknown sample
    held_by = test_splits_of(dataset, sample)
    if split is not None and split not in held_by:
        dataset.split(split)  # an unknown split is named first
        raise LocNetError(
            f"--split {split}: sample {sample!r} is not on its test side (the models trained "
            f"on {split} have seen it); its test side is in: {', '.join(held_by) or 'no split'}"
        )
    split = split or (held_by[0] if held_by else None)
    s = dataset.sample(sample)
    readings = pd.read_parquet(dataset.folder / READINGS_FILE)
    readings = readings[readings["sample"] == sample].set_index("receiver").loc[list(s.receivers)]
    kinds = dataset.receivers.set_index("receiver").loc[list(s.receivers), "kind"]
    row = dataset.samples.loc[dataset.samples["sample"] == sample].iloc[0]
    n_tx = int(row["n_tx"])
    truth = np.array([[row[f"tx{k + 1}_lat"], row[f"tx{k + 1}_lon"]] for k in range(n_tx)])
    side = f"split {split}'s test side" if split else "no split's test side"
    case = CampaignCase(
        grid=dataset.grid,
        sample=s,
        kinds=tuple(str(k) for k in kinds),
        lines=np.arange(2, len(s.receivers) + 2),
        readings_file="readings.csv",
        tx_power_dbm=TX_POWER_DBM,
        provenance=ProvenanceSpec(DATASET, dataset.fingerprint, split, sample),
        metadata={
            "title": f"POWDER sample {sample} ({n_tx} transmitter{'s' * (n_tx > 1)}, {side})",
            "source": ATTRIBUTION,
            "test_side_of": held_by,
            "made_by": command,
        }
        | (metadata or {}),
    )
    latlon = (readings["lat"].to_numpy(), readings["lon"].to_numpy())
    return case, campaign_files(case, latlon=latlon, truth_latlon=truth)


def write_case_folder(out: Path, files: Mapping[str, bytes]) -> None:
    """Write a case's files (name -> bytes) as the folder `out`, each file atomically and the
    folder replaced only once all are written (measurements.output.write_folder)."""

    def write(folder: Path) -> None:
        for name, data in files.items():
            atomic_write(folder / name, lambda tmp, data=data: tmp.write_bytes(data))

    write_folder(out, write)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sample", required=True, help="the sample's id (its timestamp)")
    parser.add_argument(
        "--split",
        help="the split whose test side holds the sample (default: the first that does)",
    )
    parser.add_argument("--data", default=str(DEFAULT_FOLDER), help="the POWDER copy")
    parser.add_argument("--out", required=True, help="the case folder to write")
    parser.add_argument(
        "--force", action="store_true", help="replace an --out folder that holds files"
    )


def run(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise LocNetError(f"--out {out} is a file; give a folder")
    if out.is_dir() and output_entries(out) and not args.force:
        raise LocNetError(
            f"--out {out} already holds {', '.join(output_entries(out)[:3])}; choose a new "
            "folder, or pass --force to replace it"
        )
    dataset = PowderDataset.open(args.data)
    flags = ["--sample", args.sample] + (["--split", args.split] if args.split else [])
    flags += [] if args.data == str(DEFAULT_FOLDER) else ["--data", args.data]
    command = shlex.join(["python", "-m", "locnet", "export-powder-case", *flags, "--out", "DIR"])
    case, files = powder_case(dataset, args.sample, args.split, command)
    write_case_folder(out, files)
    split = case.provenance.split
    print(
        f"{case.sample.sample}: {len(case.sample.receivers)} receivers, "
        f"{len(case.sample.truth_m)} transmitter(s), "
        + (f"on split {split}'s test side" if split else "on no split's test side")
        + f" -> {out}"
    )
    return 0
