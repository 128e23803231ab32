"""Map clicks: add or remove a sensor, place the transmitter (pure: the Explorer calls these through `state`).

Each function takes the session state as a plain mutable mapping and returns a short
user-facing message when the click is refused, or None. Clicks arrive in metres (the maps
are drawn in metres) and are snapped to pixel (x = column, y = row) indices here.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from locnet.app.keys import (
    CHART_NONCE,
    CLICK_MODE,
    CLICK_MODES,
    MODE_ADD,
    MODE_REMOVE,
    REMOVE_RADIUS_PX,
    SENSOR_SOURCE,
    SENSORS,
    TX_ID,
    TX_XY,
    State,
)
from locnet.constants import MAP_SIZE, PIXEL_M


def snap_xy(x_m: float, y_m: float) -> tuple[int, int] | None:
    """A click position in metres -> the pixel (x, y) it falls on, or None if off the map."""
    if x_m is None or y_m is None or not np.isfinite(x_m) or not np.isfinite(y_m):
        return None
    x, y = round(x_m / PIXEL_M), round(y_m / PIXEL_M)
    if not (0 <= x < MAP_SIZE and 0 <= y < MAP_SIZE):
        return None
    return x, y


def _is_building(buildings: np.ndarray, xy: tuple[int, int]) -> bool:
    return bool(buildings[xy[1], xy[0]])


def touch(state: State) -> None:
    """Bump CHART_NONCE so the map is redrawn with a fresh (empty) plotly selection."""
    state[CHART_NONCE] = int(state.get(CHART_NONCE, 0)) + 1


def add_sensor(state: State, buildings: np.ndarray, x_m: float, y_m: float) -> str | None:
    """Put a sensor on the clicked outdoor pixel; refuse buildings, ignore duplicates."""
    xy = snap_xy(x_m, y_m)
    if xy is None:
        return "That click is outside the 256 m x 256 m map."
    if _is_building(buildings, xy):
        return f"No sensor at ({xy[0]}, {xy[1]}) m: that pixel is inside a building (sensors stand outdoors)."
    sensors = list(state.get(SENSORS, []))
    if xy in sensors:
        return f"There is already a sensor at ({xy[0]}, {xy[1]}) m."
    sensors.append(xy)
    state[SENSORS] = sensors
    state[SENSOR_SOURCE] = "manual"
    touch(state)
    return None


def remove_sensor(
    state: State, x_m: float, y_m: float, radius_px: float = REMOVE_RADIUS_PX
) -> str | None:
    """Remove the sensor nearest the click if it lies within `radius_px` pixels."""
    sensors = list(state.get(SENSORS, []))
    if not sensors:
        return "There are no sensors to remove."
    pts = np.asarray(sensors, dtype=np.float64)
    dist = np.hypot(pts[:, 0] - x_m / PIXEL_M, pts[:, 1] - y_m / PIXEL_M)
    nearest = int(np.argmin(dist))
    if dist[nearest] > radius_px:
        return f"No sensor within {radius_px * PIXEL_M:.0f} m of the click; click closer to a green dot."
    del sensors[nearest]
    state[SENSORS] = sensors
    state[SENSOR_SOURCE] = "manual"
    touch(state)
    return None


def clear_sensors(state: State) -> None:
    state[SENSORS] = []
    state[SENSOR_SOURCE] = "manual"
    touch(state)


def place_transmitter(state: State, buildings: np.ndarray, x_m: float, y_m: float) -> str | None:
    """Move the transmitter to the clicked outdoor pixel; its radio map is simulated live."""
    xy = snap_xy(x_m, y_m)
    if xy is None:
        return "That click is outside the 256 m x 256 m map."
    if _is_building(buildings, xy):
        return f"No transmitter at ({xy[0]}, {xy[1]}) m: that pixel is inside a building (transmitters stand outdoors)."
    state[TX_ID] = None
    state[TX_XY] = xy
    touch(state)
    return None


def handle_click(
    state: State, buildings: np.ndarray, x_m: float, y_m: float, mode: str | None = None
) -> str | None:
    """Dispatch a map click (metres) by the click mode; returns a message if refused.

    Every handled click, refused or not, bumps CHART_NONCE so the map is redrawn with an
    empty selection and the same point can be clicked again.
    """
    mode = mode or state.get(CLICK_MODE, MODE_ADD)
    if mode not in CLICK_MODES:
        raise ValueError(f"unknown click mode {mode!r}; use one of {CLICK_MODES}")
    touch(state)
    if mode == MODE_ADD:
        return add_sensor(state, buildings, x_m, y_m)
    if mode == MODE_REMOVE:
        return remove_sensor(state, x_m, y_m)
    return place_transmitter(state, buildings, x_m, y_m)


def first_click(selection: Any) -> tuple[float, float] | None:
    """The (x, y) in metres of the first point of a plotly selection event, if any.

    Accepts the dict/attribute structure st.plotly_chart returns
    ({"selection": {"points": [{"x": .., "y": ..}, ...]}}) or the inner selection.
    """
    if selection is None:
        return None
    inner = selection.get("selection", selection) if hasattr(selection, "get") else None
    points = inner.get("points") if inner is not None and hasattr(inner, "get") else None
    for point in points or []:
        x, y = point.get("x"), point.get("y")
        if isinstance(x, (int, float)) and isinstance(y, (int, float)):
            return float(x), float(y)
    return None
