"""The upload form's "Try an example": the example cases under examples/, with the form's
fields they need (no Streamlit here).

Case folders (examples/NAME/case.json) are listed with their `metadata.example_label`
(examples/make_demo_cases.py writes "LocNet wins: ..." and "... wins: ..." from measured
errors) or title; the Helsinki GeoJSON in lon/lat with readings in dBm also needs the
transmit power and the tile centre, which `form_values` fills into the form's fields.
The campaign cases under examples/campaigns/ (real measured POWDER samples, locnet-case/2,
written by `python -m locnet export-powder-case`) are offered after them, labelled as real.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from locnet.cases.campaign import CampaignCase
from locnet.cases.case import FIT_EXACT, UserCase
from locnet.files import PROJECT_ROOT

EXAMPLES_DIR = PROJECT_ROOT / "examples"
ORDER = ("locnet-wins", "baseline-wins", "helsinki-latlon")  # shown first, in this order
CAMPAIGNS = "campaigns"  # examples/campaigns/NAME/case.json: real measured samples
REAL_LABEL = "Real measured POWDER sample"


@dataclass(frozen=True)
class Example:
    """One example: files (relative to EXAMPLES_DIR) and the form fields it needs."""

    name: str
    label: str
    map_file: str  # a case folder's case.json, or a map file
    readings_file: str | None = None
    tx_power_dbm: float | None = None
    center: tuple[float, float] | None = None  # (lat, lon) of the tile centre

    @property
    def files_text(self) -> str:
        files = [self.map_file] + ([self.readings_file] if self.readings_file else [])
        return ", ".join(f"examples/{f}" for f in files)


def _case_json(folder: Path) -> dict:
    try:
        return json.loads((folder / "case.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _label(folder: Path) -> str:
    """What a case folder calls itself: its case.json's example_label or title, else its name."""
    meta = _case_json(folder).get("metadata") or {}
    return str(meta.get("example_label") or meta.get("title") or folder.name)


def list_examples(root: Path = EXAMPLES_DIR) -> list[Example]:
    """Every case folder under `root`, plus the Helsinki lat/lon example when present."""
    found: dict[str, Example] = {}
    for case_file in sorted(Path(root).glob("*/case.json")):
        folder = case_file.parent
        found[folder.name] = Example(folder.name, _label(folder), f"{folder.name}/case.json")
    helsinki = Path(root) / "helsinki"
    meta = _case_json(helsinki).get("metadata") or {}
    centre = meta.get("tile_center_latlon")
    if (helsinki / "buildings.geojson").is_file() and centre:
        found["helsinki-latlon"] = Example(
            "helsinki-latlon",
            "Helsinki, OpenStreetMap footprints in lat/lon, readings in dBm "
            "(the transmit power and the tile centre are filled in)",
            "helsinki/buildings.geojson",
            "helsinki/readings_latlon_dbm.csv",
            float(meta.get("tx_power_dbm_of_latlon_file") or 23.0),
            (float(centre[0]), float(centre[1])),
        )
    first = [found.pop(n) for n in ORDER if n in found]
    return first + list(found.values()) + campaign_examples(root)


def campaign_examples(root: Path = EXAMPLES_DIR) -> list[Example]:
    """The campaign cases under root/campaigns, labelled as real measured samples."""
    out = []
    for case_file in sorted(Path(root).glob(f"{CAMPAIGNS}/*/case.json")):
        folder = case_file.parent
        label = _label(folder).removeprefix("POWDER, ").removeprefix("POWDER ")
        name = f"{CAMPAIGNS}/{folder.name}"
        out.append(Example(name, f"{REAL_LABEL} · {label}", f"{name}/case.json"))
    return out


def form_values(example: Example) -> dict[str, object]:
    """The upload form's fields for an example: transmit power, tile centre text, crop."""
    centre = "" if example.center is None else f"{example.center[0]:.8f}, {example.center[1]:.8f}"
    return {"tx_power_dbm": example.tx_power_dbm, "center": centre, "fit": FIT_EXACT}


def load_example(example: Example, root: Path = EXAMPLES_DIR) -> UserCase | CampaignCase:
    """The example's case (a tile case, or a campaign case for a real measured sample),
    read as an upload of its files would be."""
    from locnet.cases.campaign import read_any_case
    from locnet.cases.load import build_case

    root = Path(root)
    if example.readings_file is None:
        case = read_any_case(root / Path(example.map_file).parent)
    else:
        map_path, readings_path = root / example.map_file, root / example.readings_file
        case = build_case(
            map_path.read_bytes(),
            map_path.name,
            readings_path.read_bytes(),
            readings_path.name,
            tx_power_dbm=example.tx_power_dbm,
            center=example.center,
            fit=FIT_EXACT,
            metadata={"title": f"{map_path.name} + {readings_path.name}"},
        )
    case.metadata = {**case.metadata, "example": example.name}
    return case
