"""Footprints <-> building map: rasterise polygons onto the 256 x 256 grid, vectorise back.

Rasterising fills every pixel whose centre lies inside a polygon and outside its holes
(skimage.draw.polygon, the fill scripts/extract_osm_tiles.py made our OSM tiles with),
so a footprint traced along pixel edges comes back exactly. Vectorising merges each row's
runs of building pixels into boxes and unions them with shapely: exact pixel-edge
polygons with courtyards as holes (used for the example files and the regions export).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from skimage.draw import polygon as fill_polygon

from locnet.constants import MAP_SIZE, PIXEL_M
from locnet.data.maps import MAP_SHAPE


def _ring_pixels(ring) -> np.ndarray:
    """Flat pixel indices whose centres are inside a ring given in map metres."""
    coords = np.asarray(ring.coords, dtype=np.float64)
    rr, cc = fill_polygon(coords[:, 1] / PIXEL_M, coords[:, 0] / PIXEL_M, shape=MAP_SHAPE)
    return rr.astype(np.int64) * MAP_SIZE + cc


def rasterise(polygons: Iterable[Polygon]) -> np.ndarray:
    """uint8 0/1 (256, 256) map of polygons in map metres (x = column, y = row, pixel
    centres at whole metres): 1 where a pixel centre is inside a polygon, not in a hole."""
    flat = np.zeros(MAP_SIZE * MAP_SIZE, dtype=np.uint8)
    window = shapely.box(-1.0, -1.0, MAP_SIZE * PIXEL_M, MAP_SIZE * PIXEL_M)
    for poly in polygons:
        if not poly.intersects(window):
            continue
        inside = _ring_pixels(poly.exterior)
        if len(poly.interiors):
            holes = np.concatenate([_ring_pixels(r) for r in poly.interiors])
            inside = np.setdiff1d(inside, holes, assume_unique=False)
        flat[inside] = 1
    return flat.reshape(MAP_SHAPE)


def vectorise(buildings: np.ndarray) -> MultiPolygon:
    """The building pixels as polygons in map metres along pixel edges (pixel (x, y) is the
    square x +- 0.5, y +- 0.5); rasterise(vectorise(b).geoms) == b."""
    b = np.asarray(buildings) != 0
    edges = np.diff(np.pad(b, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # row-major order pairs each start with its end
    if rows.size == 0:
        return MultiPolygon()
    boxes = shapely.box(
        (starts - 0.5) * PIXEL_M,
        (rows - 0.5) * PIXEL_M,
        (ends - 0.5) * PIXEL_M,
        (rows + 0.5) * PIXEL_M,
    )
    merged = shapely.simplify(shapely.union_all(boxes), 0.0)
    parts = [merged] if isinstance(merged, Polygon) else list(getattr(merged, "geoms", []))
    return MultiPolygon([p for p in parts if isinstance(p, Polygon) and not p.is_empty])


def polygons_of(geometry) -> list[Polygon]:
    """The polygons in any shapely geometry (multi-parts and collections flattened)."""
    if geometry is None or geometry.is_empty:
        return []
    if isinstance(geometry, Polygon):
        return [geometry]
    if hasattr(geometry, "geoms"):
        return [p for g in geometry.geoms for p in polygons_of(g)]
    return []
