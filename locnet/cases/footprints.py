"""Building footprints as GeoJSON -> the tile's building map (and its GeoRef).

Accepted: a FeatureCollection, a Feature or a bare geometry holding Polygons and
MultiPolygons (with holes), in lon/lat WGS 84 (RFC 7946, no "crs" member) or in any CRS
named by a GeoJSON-2008 "crs" member (a projected one must be in metres). The tile is
the 256 m square given by its centre (lat, lon), by a bounding box, or by the file's own
"bbox" member, in that order; see geo.py for the metric grid it is laid on. Invalid
rings are repaired with shapely.make_valid; other geometry types are ignored and counted.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from locnet.cases import geo
from locnet.cases.case import FIT_EXACT, CaseError, GeoRef
from locnet.cases.limits import MAX_JSON_BYTES, check_size
from locnet.cases.raster import polygons_of, rasterise

POLYGON_TYPES = ("Polygon", "MultiPolygon")


def parse_json(data: bytes, name: str) -> Any:
    """JSON of an uploaded file; CaseError for empty, too large (MAX_JSON_BYTES, checked
    before decoding), non-UTF-8, malformed or too deeply nested content."""
    check_size(
        len(data),
        MAX_JSON_BYTES,
        name,
        "footprints of one 256 m tile take far less: clip them to the tile's area first",
    )
    if not data.strip():
        raise CaseError(f"{name} is empty; it must hold GeoJSON building footprints")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseError(
            f"{name} is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start}); "
            "save it as UTF-8 GeoJSON"
        ) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise CaseError(
            f"{name} is not valid JSON ({exc.msg} at line {exc.lineno}); "
            "export the footprints again as GeoJSON"
        ) from None
    except RecursionError:
        raise CaseError(
            f"{name} is nested too deeply to be GeoJSON (lists inside lists thousands deep); "
            "export the footprints again as GeoJSON"
        ) from None


def _geometries(obj: Any, name: str) -> list[dict]:
    if not isinstance(obj, dict) or "type" not in obj:
        raise CaseError(f"{name} is not GeoJSON (no 'type' member); give a FeatureCollection")
    kind = obj["type"]
    if kind == "FeatureCollection":
        return [f.get("geometry") for f in obj.get("features") or [] if isinstance(f, dict)]
    if kind == "Feature":
        return [obj.get("geometry")]
    if kind == "GeometryCollection":
        return list(obj.get("geometries") or [])
    return [obj]


def source_crs(obj: dict, name: str) -> str:
    """The coordinates' CRS: the 'crs' member's name, else lon/lat WGS 84 (RFC 7946)."""
    member = obj.get("crs")
    if member is None:
        return geo.WGS84
    text = (member.get("properties") or {}).get("name") if isinstance(member, dict) else None
    if not isinstance(text, str):
        raise CaseError(
            f"{name}: the 'crs' member has no properties.name; write "
            '{"type": "name", "properties": {"name": "EPSG:<code>"}}'
        )
    return geo.crs_name(geo.parse_crs(text, name))


def read_polygons(obj: dict, name: str) -> list:
    """Every polygon of the file (shapely, repaired when invalid); CaseError when none."""
    found: Counter = Counter()
    polygons = []
    for g in _geometries(obj, name):
        if not isinstance(g, dict):
            found["null"] += 1
            continue
        found[g.get("type", "?")] += 1
        if g.get("type") not in POLYGON_TYPES and g.get("type") != "GeometryCollection":
            continue
        try:
            geom = shape(g)
        except (ValueError, TypeError, AttributeError, shapely.errors.ShapelyError) as exc:
            raise CaseError(
                f"{name}: a {g.get('type')} cannot be read ({exc}); fix its "
                "coordinates (rings of [x, y] pairs)"
            ) from None
        polygons += polygons_of(geom if geom.is_valid else shapely.make_valid(geom))
    if not polygons:
        what = ", ".join(f"{k} x{v}" for k, v in found.items()) or "nothing"
        raise CaseError(
            f"{name} holds no Polygon or MultiPolygon (found: {what}); building "
            "footprints must be polygons"
        )
    return polygons


def tile_georef(
    obj: dict, src: str, name: str, *, center=None, bbox=None, fit: str = FIT_EXACT
) -> GeoRef:
    """The tile: centre (lat, lon) > bbox (in the file's CRS) > the file's 'bbox' member."""
    src_crs = geo.parse_crs(src, name)
    if center is not None:
        lat, lon = center
        return geo.georef_at_center(lat, lon, None if src_crs.is_geographic else src)
    box = bbox if bbox is not None else obj.get("bbox")
    if box is None:
        raise CaseError(
            f"{name} does not say which 256 m tile to use; give the tile centre "
            "(CLI --center LAT,LON; app: tile centre) or a bounding box (--bbox)"
        )
    try:
        box = [float(v) for v in box]
    except (TypeError, ValueError):
        raise CaseError(f"{name}: bounding box {box!r} is not four numbers") from None
    if len(box) == 6:  # a 3-D GeoJSON bbox
        box = [box[0], box[1], box[3], box[4]]
    if len(box) != 4:
        raise CaseError(
            f"{name}: bounding box {box!r} is not four numbers (min x, min y, max x, max y)"
        )
    if src_crs.is_geographic:
        geo.check_latlon(np.array(box[1::2]), np.array(box[0::2]), f"{name} bounding box")
        target = geo.utm_crs((box[1] + box[3]) / 2, (box[0] + box[2]) / 2)
    else:
        target = src
    return geo.georef_from_bbox(box, src, target, fit, f"{name} bounding box")


def footprints_to_map(
    data: bytes, name: str, *, center=None, bbox=None, fit: str = FIT_EXACT
) -> tuple[np.ndarray, GeoRef, list[str]]:
    """(buildings uint8 (256, 256), GeoRef, warnings) from GeoJSON bytes."""
    obj = parse_json(data, name)
    src = source_crs(obj, name) if isinstance(obj, dict) else geo.WGS84
    polygons = read_polygons(obj, name)
    georef = tile_georef(obj, src, name, center=center, bbox=bbox, fit=fit)
    if geo.parse_crs(src, name).is_geographic:
        coords = np.concatenate([np.asarray(p.exterior.coords) for p in polygons])
        geo.check_latlon(coords[:, 1], coords[:, 0], f"{name} (no 'crs' member: lon/lat expected)")

    def to_map(xy: np.ndarray) -> np.ndarray:
        x, y = geo.crs_to_map(georef, *geo.transform(src, georef.crs, xy[:, 0], xy[:, 1]))
        return np.stack([x, y], axis=1)

    mapped = [shapely.transform(p, to_map) for p in polygons]
    buildings = rasterise(mapped)
    warnings = geo.check_area_of_use(georef, name)
    if not buildings.any():
        warnings.append(
            f"{name}: none of its {len(polygons)} polygon(s) falls inside the tile; "
            "the map is all open space (check the tile centre or bounding box)"
        )
    return buildings, georef, warnings
