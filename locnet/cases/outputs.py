"""Files `python -m locnet localize` writes (each atomically): estimates.json and .csv,
regions_<model>.png, regions.geojson (geographic cases) and case.png."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely
from PIL import Image
from shapely.geometry import mapping

from locnet.cases import geo
from locnet.cases.case import FORMAT, UserCase
from locnet.cases.localize import case_row, estimate_row, safe_name
from locnet.cases.raster import vectorise
from locnet.files import atomic_write, write_json

if TYPE_CHECKING:
    from locnet.inference import Answer

OUTPUT_FORMAT = "locnet-localize/1"


def regions_png(regions: np.ndarray) -> bytes:
    """uint8 PNG: 255 inside the 50 % region, 128 inside the 90 % one only, 0 outside."""
    image = np.where(regions[0], 255, np.where(regions[1], 128, 0)).astype(np.uint8)
    out = io.BytesIO()
    Image.fromarray(image, mode="L").save(out, "PNG")
    return out.getvalue()


def regions_geojson(case: UserCase, answers: list[Answer]) -> dict[str, Any]:
    """The credible regions as lon/lat polygons (RFC 7946), one feature per model and level."""

    def to_lonlat(xy: np.ndarray) -> np.ndarray:
        lat, lon = geo.map_to_latlon(case.georef, xy[:, 0], xy[:, 1])
        return np.stack([lon, lat], axis=1)

    features = []
    for a in answers:
        if a.regions is None:
            continue
        for level, mask in zip((50, 90), a.regions):
            shape = shapely.orient_polygons(shapely.transform(vectorise(mask), to_lonlat))
            features.append(
                {
                    "type": "Feature",
                    "geometry": mapping(shape),
                    "properties": {"model": a.label, "level_percent": level},
                }
            )
    return {"type": "FeatureCollection", "features": features}


def _write_bytes(path: Path, data: bytes) -> None:
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def case_summary(case: UserCase) -> dict[str, Any]:
    """What estimates.json says about the input (the case format's fields, no arrays)."""
    return {
        "format": FORMAT,
        "sensors": len(case.sensors_xy),
        "truth_xy_m": None if case.truth_xy is None else list(case.truth_xy),
        "georef": case.georef.to_json() if case.georef else None,
        "tx_power_dbm": case.tx_power_dbm,
        "warnings": list(case.warnings),
        "metadata": case.metadata,
    }


def write_outputs(
    out: str | Path,
    case: UserCase,
    answers: list[Answer],
    timing: dict[str, float],
    command: str = "",
) -> list[Path]:
    """Write every output file into `out` (which must exist and be writable)."""
    from locnet.viz.export import case_png

    out = Path(out)
    rows = [case_row(a, case) for a in answers]
    estimates = [estimate_row(row) for row in rows]
    written = [
        write_json(
            out / "estimates.json",
            {
                "format": OUTPUT_FORMAT,
                "command": command,
                "case": case_summary(case),
                "models": estimates,
                "timing_s": {k: round(v, 4) for k, v in timing.items()},
            },
        )
    ]
    csv = pd.DataFrame(estimates).to_csv(index=False).encode("utf-8")
    _write_bytes(out / "estimates.csv", csv)
    written.append(out / "estimates.csv")
    for a in answers:
        if a.regions is not None:
            path = out / f"regions_{safe_name(a.label)}.png"
            _write_bytes(path, regions_png(a.regions))
            written.append(path)
    if case.georef is not None and any(a.regions is not None for a in answers):
        text = json.dumps(regions_geojson(case, answers), separators=(",", ":")) + "\n"
        _write_bytes(out / "regions.geojson", text.encode("utf-8"))
        written.append(out / "regions.geojson")
    png = case_png(
        case.buildings,
        sensors_xy=case.sensors_xy.tolist(),
        truth_xy=case.truth_xy,
        predictions=rows,
        title=str(case.metadata.get("title", "your case")),
    )
    _write_bytes(out / "case.png", png)
    written.append(out / "case.png")
    return written
