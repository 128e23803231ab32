"""`python -m locnet dataset-info DIR`: layout, counts per split and rate, cities, attribution."""

from __future__ import annotations

import argparse
import json
from collections import Counter

from locnet.constants import SPLITS
from locnet.data.radiomapseer import RadioMapDataset, open_dataset

AUTO_SCAN_MASKS = 5000  # flat-folder masks are read to get their rates up to this many


def summarize(ds: RadioMapDataset, scan_masks: bool | None = None) -> dict:
    """Plain-dict summary of a dataset (what dataset-info prints, also for --json).

    Flat-folder masks carry their rate only in their pixels; they are read when
    scan_masks is True, or when None and there are at most AUTO_SCAN_MASKS of them.
    """
    tx_per_map = Counter(m for m, _ in ds.samples)
    splits = {}
    for split in SPLITS:
        refs = ds.mask_refs(split)
        flat = sum(r.rate_percent is None for r in refs)
        read = scan_masks if scan_masks is not None else flat <= AUTO_SCAN_MASKS
        if read and flat:
            refs = ds.mask_refs(split, read_rates=True)
        rates = Counter(r.rate_percent for r in refs if r.rate_percent is not None)
        samples = ds.samples_in(split)
        splits[split] = {
            "maps": len({m for m, _ in samples}),
            "radio_maps": len(samples),
            "masks": len(refs),
            "masks_by_rate": {f"{rate:g}": n for rate, n in sorted(rates.items())},
            "masks_rate_unread": sum(r.rate_percent is None for r in refs),
        }
    unassigned = [m for m in ds.maps if ds.split_of_map(m) is None]
    summary = {
        "root": str(ds.root),
        "layout": ds.layout,
        "fingerprint": ds.fingerprint(),
        "maps": len(ds.maps),
        "radio_maps": len(ds.samples),
        "transmitters_per_map": [min(tx_per_map.values()), max(tx_per_map.values())],
        "splits": splits,
        "maps_without_split": len(unassigned),
        "cities": [],
        "attribution": [],
    }
    table = ds.metadata
    if table is not None and {"city", "split"} <= set(table.columns):
        source = table["source"] if "source" in table.columns else ""
        grouped = table.assign(source=source).groupby(["city", "split"], dropna=False)
        summary["cities"] = [
            {
                "city": str(city),
                "split": str(split),
                "maps": int(len(rows)),
                "source": str(rows["source"].iloc[0]),
            }
            for (city, split), rows in grouped
        ]
    if table is not None and "attribution" in table.columns:
        summary["attribution"] = sorted({str(a) for a in table["attribution"].dropna() if str(a)})
    return summary


def format_summary(s: dict) -> str:
    """Human-readable text of summarize()'s dict."""
    lo, hi = s["transmitters_per_map"]
    tx = f"{lo}" if lo == hi else f"{lo}-{hi}"
    lines = [
        f"dataset      {s['root']}",
        f"layout       {s['layout']} (fingerprint {s['fingerprint']})",
        f"maps         {s['maps']} environments x {tx} transmitters = {s['radio_maps']} radio maps",
        "",
        f"{'split':<6} {'maps':>5} {'radio maps':>11} {'masks':>7}  masks per rate (%)",
    ]
    for split, row in s["splits"].items():
        rates = ", ".join(f"{r}: {n}" for r, n in row["masks_by_rate"].items())
        if row["masks_rate_unread"]:
            rates += (", " if rates else "") + f"{row['masks_rate_unread']} flat (--scan-masks)"
        lines.append(
            f"{split:<6} {row['maps']:>5} {row['radio_maps']:>11} {row['masks']:>7}  {rates or '-'}"
        )
    if s["maps_without_split"]:
        lines.append(
            f"({s['maps_without_split']} maps belong to no split: no masks, no cities.csv)"
        )
    if s["cities"]:
        lines += ["", "environments (cities.csv):"]
        for row in s["cities"]:
            lines.append(
                f"  {row['city']:<28} {row['split']:<5} {row['maps']:>4} maps  {row['source']}"
            )
    if s["attribution"]:
        lines += ["", "attribution:"] + [f"  {a}" for a in s["attribution"]]
    return "\n".join(lines)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", help="dataset folder (either RadioMapSeer layout)")
    parser.add_argument(
        "--scan-masks",
        action="store_true",
        default=None,
        help="read every flat-folder mask to count masks per rate",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")


def run(args: argparse.Namespace) -> int:
    summary = summarize(open_dataset(args.data), args.scan_masks)
    print(json.dumps(summary, indent=2) if args.json else format_summary(summary))
    return 0
