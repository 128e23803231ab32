"""Build the sample case files in examples/ from committed repo data (no invented numbers).

Buildings: the committed OpenStreetMap tile osm-helsinki-01 (data/cities, UTM zone 35N,
EPSG:32635, origin from data/cities/index.csv), vectorised along pixel edges with shapely
(locnet.cases.raster.vectorise) and written as GeoJSON twice: in lon/lat WGS 84 (RFC 7946)
and in EPSG:32635 metres with the tile as its "bbox"; plus the tile itself as a PNG.
Readings: a transmitter drawn with locnet.data.sampling on the tile, its radio map
simulated by locnet.data.propagation (paper-like settings), read at 0.05 % of the pixels
(33 sensors); as lat/lon + received power at 23 dBm (RadioMapSeer's transmit power), and
as map metres + path gain. The folder is itself a case (case.json).

Run: python scripts/make_example_cases.py [--out examples/helsinki]
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import mapping

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from locnet.cases import geo
from locnet.cases.case import FORMAT, GeoRef
from locnet.cases.raster import vectorise
from locnet.cases.store import buildings_png
from locnet.data.cities import DEFAULT_FOLDER, find_environment
from locnet.data.maps import mask_to_sensors
from locnet.data.propagation import simulate_db
from locnet.data.propagation_params import PAPER_LIKE
from locnet.data.sampling import sample_mask, sample_transmitters
from locnet.files import atomic_write

ENV_ID = "osm-helsinki-01"
TX_POWER_DBM = 23.0  # RadioMapSeer's transmitter power
RATE_PERCENT = 0.05
SEED = 14


def tile_georef(env_id: str) -> GeoRef:
    """The tile's CRS and west/north edges, from data/cities/index.csv."""
    with (DEFAULT_FOLDER / "index.csv").open(encoding="utf-8") as handle:
        row = next(r for r in csv.DictReader(handle) if r["env_id"] == env_id)
    return GeoRef(row["crs"], float(row["origin_x_m"]), float(row["origin_y_m"]))


def footprints(buildings: np.ndarray, georef: GeoRef, target: str) -> list[dict]:
    """GeoJSON features of the tile's buildings in `target` (exteriors counter-clockwise)."""

    def to_target(xy: np.ndarray) -> np.ndarray:
        x, y = geo.transform(georef.crs, target, *geo.map_to_crs(georef, xy[:, 0], xy[:, 1]))
        return np.stack([x, y], axis=1)

    features = []
    for i, poly in enumerate(vectorise(buildings).geoms):
        poly = shapely.orient_polygons(shapely.transform(poly, to_target))
        features.append(
            {
                "type": "Feature",
                "properties": {"id": i, "building": "yes"},
                "geometry": mapping(poly),
            }
        )
    return features


def write_text(path: Path, text: str) -> None:
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_geojson(path: Path, features: list[dict], **members) -> None:
    obj = {"type": "FeatureCollection", **members, "features": features}
    write_text(path, json.dumps(obj, separators=(",", ":")) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(REPO / "examples" / "helsinki"))
    out = Path(parser.parse_args().out)
    out.mkdir(parents=True, exist_ok=True)
    env, georef = find_environment(ENV_ID), tile_georef(ENV_ID)
    buildings = np.asarray(env.buildings, dtype=np.uint8)
    source = f"{env.source}, tile {ENV_ID}; {env.attribution}"

    x0, y1 = georef.x_west, georef.y_north
    write_geojson(
        out / "buildings_utm.geojson",
        footprints(buildings, georef, georef.crs),
        crs={"type": "name", "properties": {"name": georef.crs}},
        bbox=[x0, y1 - 256.0, x0 + 256.0, y1],
        source=source,
    )
    write_geojson(
        out / "buildings.geojson", footprints(buildings, georef, geo.WGS84), source=source
    )
    atomic_write(out / "buildings.png", lambda tmp: tmp.write_bytes(buildings_png(buildings)))

    rng = np.random.default_rng(SEED)
    tx = tuple(int(v) for v in sample_transmitters(buildings, 1, rng)[0])
    radio_db = simulate_db(buildings, tx, PAPER_LIKE)
    sensors = np.asarray(mask_to_sensors(sample_mask(buildings, RATE_PERCENT, rng)))
    gains = np.round(radio_db[sensors[:, 1], sensors[:, 0]].astype(np.float64), 2)
    lat, lon = geo.map_to_latlon(georef, sensors[:, 0], sensors[:, 1])
    t_lat, t_lon = geo.map_to_latlon(georef, [tx[0]], [tx[1]])
    blank = [""] * (len(sensors) - 1)
    latlon = pd.DataFrame(
        {
            "lat": np.round(lat, 8),
            "lon": np.round(lon, 8),
            "rss_dbm": np.round(gains + TX_POWER_DBM, 2),
            "truth_lat": [round(float(t_lat[0]), 8), *blank],
            "truth_lon": [round(float(t_lon[0]), 8), *blank],
        }
    )
    metres = pd.DataFrame(
        {
            "x_m": sensors[:, 0],
            "y_m": sensors[:, 1],
            "gain_db": gains,
            "truth_x_m": [tx[0], *blank],
            "truth_y_m": [tx[1], *blank],
        }
    )
    write_text(out / "readings_latlon_dbm.csv", latlon.to_csv(index=False))
    write_text(out / "readings_metres.csv", metres.to_csv(index=False))
    lat_c, lon_c = geo.map_to_latlon(georef, [127.5], [127.5])
    case = {
        "format": FORMAT,
        "buildings": "buildings.png",
        "readings": "readings_metres.csv",
        "tx_power_dbm": None,
        "georef": georef.to_json(),
        "metadata": {
            "title": f"Helsinki {ENV_ID}, simulated transmitter at {tx}",
            "source": source,
            "tile_center_latlon": [round(float(lat_c[0]), 8), round(float(lon_c[0]), 8)],
            "tx_power_dbm_of_latlon_file": TX_POWER_DBM,
            "made_by": "scripts/make_example_cases.py",
        },
    }
    write_text(out / "case.json", json.dumps(case, indent=2) + "\n")
    print(
        f"wrote {out}: {len(sensors)} sensors, transmitter at {tx}, tile centre "
        f"{lat_c[0]:.8f},{lon_c[0]:.8f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
