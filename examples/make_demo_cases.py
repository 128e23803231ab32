"""Write the two demo upload examples: a case where LocNet wins and one where a classical
method wins, measured with the installed weights (no hand-picked ids, no invented numbers).

Every test (map, transmitter) of data/demo at 0.05 % of the pixels (its first mask file)
is run through LocNet (checkpoints/locnet.pt, its calibrated default readout) and the
classical baselines (strongest sensor, RSS centroid, path-loss fit). Picked:
- locnet-wins: LocNet within 10 m while every classical method is 25 m or more off; the
  case whose best classical answer is furthest off;
- baseline-wins: a classical method within 10 m while LocNet is 25 m or more off; the
  case where LocNet is furthest off.
Each is written as a case folder (docs/cases.md) whose case.json metadata holds the
measured errors, the weights' sha256 and the command; the app's "Try an example" lists
them with that label. tests/app/test_examples.py checks the labels still hold.

Run: python examples/make_demo_cases.py [--data data/demo] [--checkpoint checkpoints/locnet.pt]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from locnet.app.models import Case
from locnet.app.upload_case import user_case_of
from locnet.cases.store import write_case
from locnet.data.radiomapseer import open_dataset
from locnet.inference import error_m, load_model, predict
from locnet.models.checkpoints import file_sha256
from locnet.report.series import DISPLAY_NAMES

RATE_PERCENT = 0.05
CLASSICAL = ("strongest", "centroid", "pathloss")
FOUND_M, MISSED_M = 10.0, 25.0


def measure(data: Path, checkpoint: Path) -> list[dict]:
    """One record per test (map, transmitter): the case and every model's error (m)."""
    ds = open_dataset(data)
    models = {"LocNet": load_model(checkpoint, checkpoint.parent, "cpu")}
    models.update({DISPLAY_NAMES[m]: load_model(m, checkpoint.parent, "cpu") for m in CLASSICAL})
    first: dict[tuple, object] = {}
    for ref in sorted(ds.mask_refs("test", RATE_PERCENT), key=lambda r: (r.map_id, r.tx_id, r.k)):
        first.setdefault((ref.map_id, ref.tx_id), ref)
    refs = list(first.values())
    records = []
    for ref in refs:
        buildings = ds.buildings(ref.map_id)
        gray = ds.radio_map(ref.map_id, ref.tx_id)
        mask = ds.load_mask(ref)
        truth = ds.transmitter(ref.map_id, ref.tx_id)
        errors = {
            name: error_m(predict(model, buildings, mask=mask, radio_gray=gray), truth)
            for name, model in models.items()
        }
        records.append({"ref": ref, "truth": truth, "errors": errors, "ds": ds})
    return records


def write_example(out: Path, record: dict, label: str, sha: str, command: str) -> None:
    ds, ref = record["ds"], record["ref"]
    mask = ds.load_mask(ref)
    rows, cols = np.nonzero(mask)
    case = Case(
        int(ref.map_id),
        int(ref.tx_id),
        tuple(record["truth"]),
        ds.buildings(ref.map_id),
        ds.radio_map(ref.map_id, ref.tx_id),
        [(int(c), int(r)) for r, c in zip(rows, cols)],
    )
    city = ds.metadata.set_index("map").loc[ref.map_id, "city"]
    errors = {k: round(float(v), 1) for k, v in record["errors"].items()}
    metadata = {
        "title": f"{city}, demo map {ref.map_id}, transmitter {ref.tx_id}",
        "example_label": label,
        "errors_m": errors,
        "weights_sha256": sha,
        "rate_percent": RATE_PERCENT,
        "made_by": command,
    }
    write_case(out, user_case_of(case, metadata))
    print(f"{out}: {label}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="data/demo")
    parser.add_argument("--checkpoint", default="checkpoints/locnet.pt")
    parser.add_argument("--out", default=str(REPO / "examples"))
    args = parser.parse_args()
    checkpoint = Path(args.checkpoint)
    records = measure(Path(args.data), checkpoint)
    sha = file_sha256(checkpoint)
    command = f"python examples/make_demo_cases.py --data {args.data} --checkpoint {checkpoint}"

    def best_classical(r: dict) -> tuple[str, float]:
        name = min((DISPLAY_NAMES[m] for m in CLASSICAL), key=lambda n: r["errors"][n])
        return name, r["errors"][name]

    wins = [
        r for r in records if r["errors"]["LocNet"] <= FOUND_M and best_classical(r)[1] >= MISSED_M
    ]
    losses = [
        r for r in records if best_classical(r)[1] <= FOUND_M and r["errors"]["LocNet"] >= MISSED_M
    ]
    if not wins or not losses:
        print(f"found {len(wins)} LocNet wins and {len(losses)} baseline wins: need one each")
        return 1
    win = max(wins, key=lambda r: best_classical(r)[1])
    loss = max(losses, key=lambda r: r["errors"]["LocNet"])
    name, err = best_classical(win)
    write_example(
        Path(args.out) / "locnet-wins",
        win,
        f"LocNet wins: {win['errors']['LocNet']:.1f} m against {err:.1f} m for {name}",
        sha,
        command,
    )
    name, err = best_classical(loss)
    write_example(
        Path(args.out) / "baseline-wins",
        loss,
        f"{name} wins: {err:.1f} m against {loss['errors']['LocNet']:.1f} m for LocNet",
        sha,
        command,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
