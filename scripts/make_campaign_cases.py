"""Write the campaign case examples (locnet-case/2) under examples/campaigns/ from the
committed POWDER copy and results, picked by rule (no hand-picked ids, no invented numbers).

- powder-random-typical: the random split's test sample at the median of the fingerprint
  MLP's (rss-mlp) errors in results/powder/random (ties by sample id);
- powder-grid-hard: the grid split's (spatial hold-out) test sample at the 90th percentile
  of rss-mlp's errors in results/powder/grid: a case where the best model misses;
- powder-two-transmitters: the first two-transmitter sample of samples.csv (on no split's
  test side: shown, not yet solved; only the training-free models run on it).
Each case's metadata holds every model's error on it, read from results/powder, and the
command that reproduces them (`python -m locnet localize --case FOLDER --out DIR`).

Run: python scripts/make_campaign_cases.py [--data data/real/powder] [--out examples/campaigns]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from locnet.cases.powder_export import powder_case, write_case_folder
from locnet.measurements.dataset import DEFAULT_FOLDER, PowderDataset

RESULTS = REPO / "results" / "powder"
MODEL = "rss-mlp"
PICKS = (("powder-random-typical", "random", 0.5), ("powder-grid-hard", "grid", 0.9))


def pick(split: str, quantile: float) -> tuple[str, dict[str, float]]:
    """The test sample at `quantile` of MODEL's errors, and every model's error on it (m)."""
    table = pd.read_parquet(RESULTS / split / "samples.parquet")
    ranked = table[table["model"] == MODEL].sort_values(["error_m", "sample"])
    sample = str(ranked["sample"].iloc[int(quantile * (len(ranked) - 1))])
    rows = table[table["sample"] == sample]
    return sample, {m: round(float(e), 1) for m, e in zip(rows["model"], rows["error_m"])}


def write_case(out: Path, dataset: PowderDataset, sample: str, split, meta: dict) -> None:
    flags = f"--sample '{sample}'" + (f" --split {split}" if split else "")
    command = f"python -m locnet export-powder-case {flags} --out {out.relative_to(REPO)}"
    _, files = powder_case(dataset, sample, split, command, meta)
    write_case_folder(out, files)
    print(f"{out.relative_to(REPO)}: {sample} ({split or 'no split'})")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default=str(REPO / DEFAULT_FOLDER))
    parser.add_argument("--out", default=str(REPO / "examples" / "campaigns"))
    args = parser.parse_args()
    out = Path(args.out).resolve()
    dataset = PowderDataset.open(args.data)
    for name, split, quantile in PICKS:
        sample, errors = pick(split, quantile)
        best = min(errors, key=errors.get)
        meta = {
            "example_label": f"POWDER, {split} split: {MODEL} {errors[MODEL]:.1f} m off "
            f"(best: {best}, {errors[best]:.1f} m)",
            "errors_m": errors,
            "errors_from": f"results/powder/{split}/samples.parquet (python -m locnet "
            "evaluate-powder); the same numbers: python -m locnet localize --case "
            f"examples/campaigns/{name} --out DIR",
            "picked_by": f"the {split} test sample at the {quantile:.0%} quantile of {MODEL}'s "
            "errors (scripts/make_campaign_cases.py)",
        }
        write_case(out / name, dataset, sample, split, meta)
    two = dataset.samples.loc[dataset.samples["n_tx"] == 2, "sample"].iloc[0]
    meta = {
        "example_label": "POWDER, two transmitters at once (shown, not yet solved)",
        "picked_by": "the first two-transmitter sample of samples.csv",
    }
    write_case(out / "powder-two-transmitters", dataset, str(two), None, meta)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
