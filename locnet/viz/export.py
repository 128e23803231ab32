"""Downloads of the current case: a PNG drawn with Pillow and a CSV of every point.

No plotly/kaleido here: Pillow draws the building map scaled up with the same marker
colours as the app (sensors green, predictions yellow, truth red, orange on the truth),
which is fast and needs no browser. Positions are pixel (x, y); the CSV gives metres.
Predictions are the rows of locnet.inference.answer_row (metres), one per model: the
readout it is (mode / mean / median, or point for models without a posterior), its
expected error and the 90 % region's equivalent radius; a row without a position (a
failed run) is left out.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from locnet.constants import (
    MAP_SIZE,
    OVERLAP_COLOR,
    PIXEL_M,
    PREDICTION_COLOR,
    SENSOR_COLOR,
    TRUTH_COLOR,
)
from locnet.viz.maps import BUILDING_COLOR, OUTDOOR_COLOR
from locnet.viz.markers import coincide

PNG_SCALE = 3  # output pixels per map pixel: a 768 x 768 picture
LEGEND_PX = 28  # height of one legend line under the map
LABEL_NEAR_PX = 8  # predictions closer than this (map pixels) share one numbered label
CSV_COLUMNS = (
    "kind",
    "model",
    "x_m",
    "y_m",
    "gain_db",
    "error_m",
    "readout",
    "expected_error_m",
    "radius_90_m",
    "tta",
    "calibration",
    "runtime_ms",
    "device",
)


Row = Mapping[str, Any]  # one prediction: a locnet.inference.answer_row


def _placed(predictions: Sequence[Row]) -> list[Row]:
    """The predictions that have a position (a failed run has none)."""
    return [p for p in predictions if p.get("x_m") is not None]


def _pixel_xy(row: Row) -> tuple[float, float]:
    return row["x_m"] / PIXEL_M, row["y_m"] / PIXEL_M


def _hex_rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return tuple(int(color[i : i + 2], 16) for i in (0, 2, 4))


def building_rgb(buildings: np.ndarray) -> np.ndarray:
    """RGB uint8 (256, 256, 3) picture: outdoor white, buildings slate gray."""
    palette = np.array([_hex_rgb(OUTDOOR_COLOR), _hex_rgb(BUILDING_COLOR)], dtype=np.uint8)
    return palette[(np.asarray(buildings) > 0).astype(np.intp)]


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except (TypeError, OSError):
        return ImageFont.load_default()


def _dot(
    draw: ImageDraw.ImageDraw, xy: Sequence[float], radius: float, fill: str, shape: str = "circle"
) -> None:
    cx, cy = ((float(v) + 0.5) * PNG_SCALE for v in xy)
    box = [cx - radius, cy - radius, cx + radius, cy + radius]
    if shape == "diamond":
        draw.polygon(
            [(cx, cy - radius), (cx + radius, cy), (cx, cy + radius), (cx - radius, cy)],
            fill=fill,
            outline="#000000",
        )
    else:
        draw.ellipse(box, fill=fill, outline="#000000", width=1)


def label_groups(
    points: Sequence[Sequence[float]], near_px: float = LABEL_NEAR_PX
) -> list[tuple[list[int], tuple[float, float]]]:
    """Predictions that would share a label spot, grouped: [([1, 3], xy), ([2], xy)], the
    numbers 1-based in `points` order and xy the group's first point (map pixels). One
    label per group, so labels of models answering the same place never pile up."""
    groups: list[tuple[list[int], tuple[float, float]]] = []
    for number, (x, y) in enumerate(points, start=1):
        for numbers, (gx, gy) in groups:
            if max(abs(x - gx), abs(y - gy)) <= near_px:
                numbers.append(number)
                break
        else:
            groups.append(([number], (float(x), float(y))))
    return groups


def case_png(
    buildings: np.ndarray,
    *,
    sensors_xy: Sequence[Sequence[float]],
    truth_xy: Sequence[float] | None,
    predictions: Sequence[Row] = (),
    title: str = "",
) -> bytes:
    """PNG bytes: the map at PNG_SCALE x, markers, each prediction numbered on the map
    (label_groups) and named with its number in the legend below."""
    predictions = _placed(predictions)
    side = MAP_SIZE * PNG_SCALE
    n_lines = 2 + len(predictions)
    canvas = Image.new("RGB", (side, side + LEGEND_PX * n_lines), "#ffffff")
    base = Image.fromarray(building_rgb(buildings)).resize((side, side), Image.Resampling.NEAREST)
    canvas.paste(base, (0, 0))
    draw = ImageDraw.Draw(canvas)
    font = _font(16)
    for xy in sensors_xy:
        _dot(draw, xy, 4, SENSOR_COLOR)
    if truth_xy is not None:
        _dot(draw, truth_xy, 8, TRUTH_COLOR)
    for point in predictions:
        xy = _pixel_xy(point)
        color = OVERLAP_COLOR if coincide(xy, truth_xy) else PREDICTION_COLOR
        _dot(draw, xy, 7, color, shape="diamond")
    for numbers, xy in label_groups([_pixel_xy(p) for p in predictions]):
        cx, cy = ((float(v) + 0.5) * PNG_SCALE for v in xy)
        text = ",".join(str(n) for n in numbers)
        x = cx + 9 if cx + 9 + 10 * len(text) < side else cx - 9 - 10 * len(text)
        draw.text(
            (x, cy - 9), text, fill="#000000", font=font, stroke_width=2, stroke_fill="#ffffff"
        )
    y = side + 4
    draw.text((8, y), title or "LocNet Explorer case", fill="#000000", font=font)
    y += LEGEND_PX
    legend = f"sensors: {len(sensors_xy)} (green)   truth: red   prediction: yellow (orange = on the truth)"
    draw.text((8, y), legend, fill="#000000", font=font)
    for number, point in enumerate(predictions, start=1):
        y += LEGEND_PX
        error, readout = point.get("error_m"), point.get("readout")
        err = "n/a" if error is None else f"{error:.1f} m"
        how = f" ({readout})" if readout else ""
        text = (
            f"{number}  {point['model']}{how}: ({point['x_m']:.0f}, {point['y_m']:.0f}) m, "
            f"error {err}"
        )
        draw.text((8, y), text, fill="#000000", font=font)
    out = io.BytesIO()
    canvas.save(out, format="PNG", optimize=False)
    return out.getvalue()


def case_table(
    *,
    sensors_xy: Sequence[Sequence[float]],
    gains_db: Sequence[float] | None,
    truth_xy: Sequence[float] | None,
    predictions: Sequence[Row] = (),
) -> pd.DataFrame:
    """Every point of the case, one row each: sensors (with dB), truth, predictions (their
    CSV_COLUMNS)."""
    rows = []
    gains = list(gains_db) if gains_db is not None else [None] * len(sensors_xy)
    for (x, y), gain in zip(sensors_xy, gains):
        rows.append({"kind": "sensor", "x_m": x * PIXEL_M, "y_m": y * PIXEL_M, "gain_db": gain})
    if truth_xy is not None:
        rows.append({"kind": "truth", "x_m": truth_xy[0] * PIXEL_M, "y_m": truth_xy[1] * PIXEL_M})
    rows += [{**p, "kind": "prediction"} for p in _placed(predictions)]
    return pd.DataFrame(rows, columns=list(CSV_COLUMNS))


def case_csv(**kwargs) -> bytes:
    """UTF-8 CSV bytes of case_table(**kwargs), metres and dB rounded to 0.01."""
    return case_table(**kwargs).round(2).to_csv(index=False).encode("utf-8")
