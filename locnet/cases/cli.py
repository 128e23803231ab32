"""`python -m locnet localize`: localize a transmitter in your own case from the shell.

Input: a case folder/zip (--case) or a building map (--buildings PNG or GeoJSON) with a
readings CSV (--readings); see docs/cases.md. Output in --out: see locnet.cases.outputs.
A campaign case (locnet-case/2) runs the measurement models that apply instead
(locnet.cases.campaign_localize). Problems are one-line errors (exit 2); dropped readings
are printed as warnings.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from locnet.cases.case import FIT_EXACT, FITS, CaseError
from locnet.cases.localize import DEFAULT_MODELS

READOUTS = ("auto", "mode", "mean", "median")


def _pair(text: str) -> tuple[float, float]:
    try:
        a, b = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not LAT,LON (two numbers)") from None
    return a, b


def _box(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise argparse.ArgumentTypeError(f"{text!r} is not MIN_X,MIN_Y,MAX_X,MAX_Y")
    return values


def configure_parser(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument_group("the case (docs/cases.md)")
    source.add_argument("--case", help="a case folder or .zip (case.json, map, readings.csv)")
    source.add_argument(
        "--buildings", help="256 x 256 PNG (buildings non-zero) or GeoJSON footprints"
    )
    source.add_argument("--readings", help="CSV: x_m,y_m or lat,lon and gain_db or rss_dbm")
    source.add_argument("--tx-power-dbm", type=float, help="transmit power, needed for rss_dbm")
    source.add_argument("--center", type=_pair, metavar="LAT,LON", help="centre of the 256 m tile")
    source.add_argument(
        "--bbox",
        type=_box,
        metavar="MINX,MINY,MAXX,MAXY",
        help="the tile as a bounding box in the GeoJSON's CRS "
        "(lon/lat: MINLON,MINLAT,MAXLON,MAXLAT)",
    )
    source.add_argument(
        "--fit",
        choices=FITS,
        default=FIT_EXACT,
        help="a bounding box that is not 256 m square: refuse (exact) or crop/pad at its centre",
    )
    parser.add_argument(
        "--models",
        help="comma-separated registry names or checkpoint paths (default: "
        f"{','.join(DEFAULT_MODELS)}; a campaign case: every measurement model that applies)",
    )
    parser.add_argument(
        "--checkpoints",
        default="checkpoints",
        help="checkpoint folder (a campaign case's learned models: its real/ folder)",
    )
    parser.add_argument(
        "--powder",
        default="data/real/powder",
        help="the POWDER copy a campaign case's provenance names (its splits train the "
        "POWDER-trained models)",
    )
    parser.add_argument(
        "--readout",
        choices=READOUTS,
        default="auto",
        help="posterior readout of heatmap models (auto: the calibrated default)",
    )
    parser.add_argument("--tta", action="store_true", help="average the 8 flips/rotations")
    parser.add_argument("--device", default="cpu", help="cpu, cuda, cuda:N or auto")
    parser.add_argument(
        "--out", required=True, help="folder for estimates.json/csv, regions, case.png"
    )
    parser.add_argument(
        "--force", action="store_true", help="write into a --out folder that already holds files"
    )


def load_input(args: argparse.Namespace):
    """The UserCase named by --case or by --buildings and --readings."""
    from locnet.cases.campaign import read_any_case
    from locnet.cases.limits import MAX_CSV_BYTES, MAX_MEMBER_BYTES, read_capped
    from locnet.cases.load import build_case

    tile = {"tx_power_dbm": args.tx_power_dbm, "center": args.center, "bbox": args.bbox}
    if args.case:
        if args.buildings or args.readings:
            raise CaseError("give either --case or --buildings with --readings, not both")
        return read_any_case(args.case, **tile, fit=args.fit if args.fit != FIT_EXACT else None)
    if not (args.buildings and args.readings):
        raise CaseError("give --buildings MAP (PNG or GeoJSON) and --readings CSV, or --case DIR")
    why = "a case is a 256 x 256 map and at most 65,536 readings"
    files = []  # sizes checked before reading (docs/cases.md#limits)
    for flag, name, limit in (
        ("--buildings", args.buildings, MAX_MEMBER_BYTES),
        ("--readings", args.readings, MAX_CSV_BYTES),
    ):
        if not Path(name).exists():
            raise CaseError(f"{flag} {name} does not exist; give the path of the file")
        files.append(read_capped(name, f"{flag} {name}", limit, why))
    return build_case(
        files[0],
        str(args.buildings),
        files[1],
        str(args.readings),
        **tile,
        fit=args.fit,
        metadata={"title": Path(args.readings).stem},
    )


def run(args: argparse.Namespace) -> int:
    from locnet.files import claim_output_folder

    # --out is this run's alone until it ends; an earlier run's files need --force
    with claim_output_folder(args.out, force=args.force) as out:
        return _localize_into(args, out)


def _models(args: argparse.Namespace) -> list[str] | None:
    if args.models is None:
        return None
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    if not models:
        raise CaseError("--models is empty; name at least one model (e.g. locnet,centroid)")
    return models


def _command() -> str:
    return "python -m locnet localize " + shlex.join(sys.argv[2:] if len(sys.argv) > 2 else [])


def _localize_campaign(args: argparse.Namespace, case, out: Path) -> int:
    from locnet.cases.campaign_localize import localize_campaign, print_run, write_campaign_outputs

    run = localize_campaign(
        case, _models(args), powder=args.powder, checkpoints=Path(args.checkpoints) / "real"
    )
    write_campaign_outputs(out, case, run, _command())
    print_run(case, run, out)
    return 0


def _localize_into(args: argparse.Namespace, out: Path) -> int:
    from locnet.cases.campaign import CampaignCase
    from locnet.cases.localize import case_row, localize
    from locnet.cases.outputs import write_outputs

    start = time.perf_counter()
    import locnet.inference  # noqa: F401  (torch: timed apart, a fresh process pays it once)

    imported = time.perf_counter()
    case = load_input(args)
    for warning in case.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    if isinstance(case, CampaignCase):
        return _localize_campaign(args, case, out)
    loaded = time.perf_counter()
    models = _models(args) or list(DEFAULT_MODELS)
    readout = None if args.readout == "auto" else args.readout
    answers, timing = localize(
        case,
        models,
        checkpoint_dir=args.checkpoints,
        device=args.device,
        readout=readout,
        tta=args.tta,
    )
    timing = {"imports_s": imported - start, "case_s": loaded - imported, **timing}
    write_outputs(out, case, answers, timing, _command())
    timing["total_s"] = time.perf_counter() - start
    write_outputs_timing(out, timing)
    for row in (case_row(a, case) for a in answers):
        where = f"({row['x_m']:.1f}, {row['y_m']:.1f}) m"
        if row["lat"] is not None:
            where += f" = {row['lat']:.6f}, {row['lon']:.6f}"
        err = "" if row["error_m"] is None else f", error {row['error_m']:.1f} m"
        print(
            f"{row['model']} ({row['readout']}): {where}{err}, "
            f"{row['runtime_ms']:.1f} ms on {row['device']}"
        )
    steps = ("imports_s", "case_s", "load_s", "predict_s")
    write_s = timing["total_s"] - sum(timing[k] for k in steps)
    print(
        f"{len(case.sensors_xy)} sensors, {len(answers)} models in {timing['total_s']:.3f} s "
        f"(imports {timing['imports_s']:.3f} s, case {timing['case_s']:.3f} s, load "
        f"{timing['load_s']:.3f} s, predict {timing['predict_s']:.3f} s, write {write_s:.3f} s); "
        f"wrote {out}"
    )
    return 0


def write_outputs_timing(out: Path, timing: dict[str, float]) -> None:
    """Add the total (known only after writing) to estimates.json."""
    import json

    from locnet.files import write_json

    data = json.loads((out / "estimates.json").read_text())
    data["timing_s"] = {k: round(v, 4) for k, v in timing.items()}
    write_json(out / "estimates.json", data)
