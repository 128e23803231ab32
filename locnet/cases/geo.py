"""Geography of a tile: which projected CRS, where its edges are, lat/lon <-> map metres.

pyproj does every transform. A projected CRS in metres is used as is; lon/lat input is
projected to the UTM zone of the tile centre (WGS 84), the usual local metric grid, so
a tile cut from a UTM raster (our Helsinki and Kotka tiles) comes back pixel for pixel.
The tile is square in that grid (grid north up: a UTM grid is rotated from true north by
at most a few degrees).
"""

from __future__ import annotations

import functools

import numpy as np
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.database import query_utm_crs_info
from pyproj.exceptions import CRSError, ProjError

from locnet.cases.case import FIT_CROP_OR_PAD, TILE_M, TILE_TOLERANCE_M, CaseError, GeoRef

WGS84 = "EPSG:4326"
METRE_UNITS = ("metre", "meter", "m")
# A tile this far (degrees) outside its CRS's area of use is refused, nearer only warned
# about: a city just across a UTM zone edge is fine, Greenland in a Swiss grid is not.
AREA_MARGIN_DEG = 3.0


def parse_crs(text: str, where: str) -> CRS:
    """A pyproj CRS from 'EPSG:32635', an OGC URN or a WKT/PROJ string, or CaseError."""
    try:
        crs = CRS.from_user_input(text)
    except (CRSError, TypeError, ValueError) as exc:
        raise CaseError(
            f"{where}: unknown CRS {text!r} ({str(exc).splitlines()[0][:120]}); name it as "
            "EPSG:<code> (e.g. EPSG:32635) or give lon/lat WGS 84 coordinates without a CRS"
        ) from None
    if not crs.is_geographic and not crs.is_projected:
        raise CaseError(f"{where}: CRS {text!r} is neither lon/lat nor projected; use EPSG:<code>")
    if crs.is_projected and crs.axis_info[0].unit_name not in METRE_UNITS:
        raise CaseError(
            f"{where}: CRS {text!r} is in {crs.axis_info[0].unit_name}, not metres; "
            "reproject the footprints to a metric CRS or to lon/lat"
        )
    return crs


def crs_name(crs: CRS) -> str:
    """'EPSG:32635' when the CRS has a code, else its PROJ string (stored in case.json)."""
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.to_proj4()


@functools.lru_cache(maxsize=32)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def transform(source: str, target: str, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Points from one CRS to another, x/y = lon/lat or easting/northing (always_xy)."""
    if source == target:
        return np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    tx, ty = _transformer(source, target).transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(tx, dtype=np.float64), np.asarray(ty, dtype=np.float64)


def utm_crs(lat: float, lon: float) -> str:
    """The WGS 84 UTM zone holding (lat, lon), e.g. 'EPSG:32635' for Helsinki."""
    check_latlon(np.array([lat]), np.array([lon]), "tile centre")
    found = query_utm_crs_info(
        datum_name="WGS 84", area_of_interest=AreaOfInterest(lon, lat, lon, lat)
    )
    if not found:
        raise CaseError(f"no UTM zone holds ({lat}, {lon}); give footprints in a projected CRS")
    return f"{found[0].auth_name}:{found[0].code}"


def check_latlon(lat: np.ndarray, lon: np.ndarray, where: str) -> None:
    """CaseError unless every lat is in -90..90 and lon in -180..180 (swapped columns?)."""
    bad = ~((np.abs(lat) <= 90) & (np.abs(lon) <= 180))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CaseError(
            f"{where}: ({lat[i]}, {lon[i]}) is not a latitude/longitude pair; latitude must "
            "be in -90..90 and longitude in -180..180 (are lat and lon swapped, or are these "
            "metres?)"
        )


def map_to_crs(georef: GeoRef, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
    """Map metres (pixel centres at whole metres) -> easting/northing in georef.crs."""
    x = georef.x_west + np.asarray(x_m, dtype=np.float64) + 0.5
    y = georef.y_north - np.asarray(y_m, dtype=np.float64) - 0.5
    return x, y


def crs_to_map(georef: GeoRef, x, y) -> tuple[np.ndarray, np.ndarray]:
    """Easting/northing in georef.crs -> map metres (inverse of map_to_crs)."""
    return np.asarray(x, float) - georef.x_west - 0.5, georef.y_north - np.asarray(y, float) - 0.5


def latlon_to_map(georef: GeoRef, lat, lon) -> tuple[np.ndarray, np.ndarray]:
    """WGS 84 lat/lon -> map metres (x east from the west edge, y south from the north edge)."""
    return crs_to_map(georef, *transform(WGS84, georef.crs, lon, lat))


def map_to_latlon(georef: GeoRef, x_m, y_m) -> tuple[np.ndarray, np.ndarray]:
    """Map metres -> WGS 84 (lat, lon) arrays."""
    lon, lat = transform(georef.crs, WGS84, *map_to_crs(georef, x_m, y_m))
    return lat, lon


def georef_at_center(lat: float, lon: float, crs: str | None = None) -> GeoRef:
    """The 256 m tile centred at (lat, lon), in `crs` (default: its UTM zone)."""
    crs = crs or utm_crs(lat, lon)
    check_latlon(np.array([lat]), np.array([lon]), "tile centre")
    x, y = transform(WGS84, crs, [lon], [lat])
    return GeoRef(crs, float(x[0]) - TILE_M / 2, float(y[0]) + TILE_M / 2)


def georef_from_bbox(bbox, bbox_crs: str, crs: str, fit: str, where: str) -> GeoRef:
    """The tile of a bounding box (min_x, min_y, max_x, max_y in `bbox_crs`), in `crs`.

    A box that is not 256 m square (within TILE_TOLERANCE_M) is refused unless `fit` is
    crop-or-pad: then the 256 m tile at the box's centre is used (cropped or padded).
    """
    try:
        x0, y0, x1, y1 = (float(v) for v in bbox)
    except (TypeError, ValueError):
        raise CaseError(f"{where}: bounding box {bbox!r} is not four numbers") from None
    if not (x1 > x0 and y1 > y0):
        raise CaseError(f"{where}: bounding box {bbox!r} must be (min x, min y, max x, max y)")
    if CRS.from_user_input(bbox_crs).is_geographic:
        check_latlon(np.array([y0, y1]), np.array([x0, x1]), where)
    cx, cy = transform(bbox_crs, crs, [x0, x1, x1, x0], [y0, y0, y1, y1])
    width, height = float(cx.max() - cx.min()), float(cy.max() - cy.min())
    off = max(abs(width - TILE_M), abs(height - TILE_M))
    if off > TILE_TOLERANCE_M and fit != FIT_CROP_OR_PAD:
        raise CaseError(
            f"{where}: the bounding box is {width:.1f} m x {height:.1f} m, not the "
            f"{TILE_M:.0f} m x {TILE_M:.0f} m tile; crop or pad it to the {TILE_M:.0f} m tile "
            "at its centre (CLI --fit crop-or-pad; app: 'crop or pad') or give the tile centre"
        )
    mid_x, mid_y = float(cx.min() + cx.max()) / 2, float(cy.min() + cy.max()) / 2
    return GeoRef(crs, mid_x - TILE_M / 2, mid_y + TILE_M / 2)


@functools.lru_cache(maxsize=32)
def _crs(text: str) -> CRS:
    return CRS.from_user_input(text)


def _degrees_apart(a: float, b: float) -> float:
    gap = abs(a - b) % 360.0
    return min(gap, 360.0 - gap)


def degrees_outside(lat: float, lon: float, west: float, south: float, east: float, north: float):
    """How far (degrees, 0 = inside) a point lies outside a lon/lat box; a box with
    west > east crosses the antimeridian."""
    inside_lon = west <= lon <= east if west <= east else (lon >= west or lon <= east)
    off_lon = 0.0 if inside_lon else min(_degrees_apart(lon, west), _degrees_apart(lon, east))
    return max(off_lon, south - lat, lat - north, 0.0)


def check_area_of_use(georef: GeoRef, where: str) -> list[str]:
    """Warnings about where the tile lies: a CaseError when its centre is not on Earth or
    more than AREA_MARGIN_DEG outside the area its CRS is made for (pyproj's
    CRS.area_of_use: the coordinates are then almost surely in another CRS), a warning
    when it is outside by less. Nothing for a CRS without an area of use."""
    crs = _crs(georef.crs)
    try:
        lat, lon = (float(v[0]) for v in map_to_latlon(georef, [TILE_M / 2], [TILE_M / 2]))
    except ProjError:
        lat = lon = float("nan")
    if not (np.isfinite(lat) and np.isfinite(lon)):
        raise CaseError(
            f"{where}: the tile (west edge {georef.x_west:g}, north edge {georef.y_north:g} in "
            f"{georef.crs}) is nowhere on Earth; are the coordinates in another CRS?"
        )
    area = crs.area_of_use
    if area is None:
        return []
    off = degrees_outside(lat, lon, area.west, area.south, area.east, area.north)
    if off == 0.0:
        return []
    text = (
        f"{where}: the tile's centre ({lat:.4f}, {lon:.4f}) lies {off:.1f} degrees outside "
        f"where {georef.crs} ({crs.name}) is used ({area.name}: lon {area.west:g} .. "
        f"{area.east:g}, lat {area.south:g} .. {area.north:g})"
    )
    if off > AREA_MARGIN_DEG:
        raise CaseError(f"{text}; the coordinates must be in another CRS: name the right one")
    return [f"{text}; check that this is the CRS the coordinates were made in"]
