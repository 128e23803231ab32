"""Pure session logic of the app: what a click, a slider or "open case" does to the state.

Every function takes the session state as a plain mutable mapping (st.session_state in
the app, a dict in tests) and returns a short user-facing message or None, so the
Streamlit pages stay thin and every interaction is unit-tested without a browser.

Coordinates are pixel indices (x = column, y = row); the maps the user clicks on are
drawn in metres, so clicks arrive in metres and are snapped to pixels here.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Hashable, MutableMapping, Sequence
from typing import Any

import numpy as np

from locnet.constants import MAP_SIZE, N_PIXELS, PIXEL_M
from locnet.maps import mask_to_sensors

State = MutableMapping[str, Any]

# Lasting state lives in these plain keys (widget keys are dropped when a page that does
# not render the widget is shown; see docs/architecture.md, App).
DATASET_DIR = "dataset_dir"
CHECKPOINT_DIR = "checkpoint_dir"
DEVICE_PREF = "device_pref"
MAP_ID = "explorer_map_id"
TX_ID = "explorer_tx_id"  # dataset transmitter id, or None for a transmitter placed by click
TX_XY = "explorer_tx_xy"  # (x, y) pixel of a placed transmitter (only when TX_ID is None)
SENSORS = "explorer_sensors"  # list of (x, y) pixel tuples
SENSOR_SOURCE = "explorer_sensor_source"  # "sampled", "manual" or "case"
RATE = "explorer_rate"  # sampling rate in percent of all pixels
SEED = "explorer_seed"
CLICK_MODE = "explorer_click_mode"
MODELS = "explorer_models"
NOTICE = "explorer_notice"  # text of the last click's warning, shown once, or None
CHART_NONCE = "explorer_chart_nonce"  # bumped per handled click -> fresh plotly selection
SAMPLED_FOR = "explorer_sampled_for"  # (map_id, rate, seed) the sampled sensors were drawn for
AUTO_RUN = "explorer_auto_run"
READOUT = "explorer_readout"  # READOUT_AUTO or a posterior readout (mode, mean, median)
TTA = "explorer_tta"  # test-time augmentation: average the 8 flips/rotations
SHOW_RADIO = "explorer_show_radio"
RUNS = "explorer_runs"  # {run_key(case, model, checkpoint, device, TTA): ModelRun}, session only
FIGURES = "explorer_figures"  # {chart slot: (key, token, figure)}: the last figure of each chart

DEFAULT_DATASET_DIR = "data/demo"
DEFAULT_CHECKPOINT_DIR = "checkpoints"
DEFAULT_RATE_PERCENT = 0.05
DEFAULT_SEED = 0

MODE_ADD = "add sensor"
MODE_REMOVE = "remove sensor"
MODE_TRANSMITTER = "place transmitter"
CLICK_MODES = (MODE_ADD, MODE_REMOVE, MODE_TRANSMITTER)

READOUT_AUTO = "auto"  # each model's calibrated default readout
READOUT_CHOICES = (READOUT_AUTO, "mode", "mean", "median")  # posterior.READOUTS after auto

REMOVE_RADIUS_PX = 4.0  # a click this close to a sensor removes it (the click grid is coarse)

DEFAULTS: dict[str, Any] = {
    DATASET_DIR: DEFAULT_DATASET_DIR,
    CHECKPOINT_DIR: DEFAULT_CHECKPOINT_DIR,
    DEVICE_PREF: "auto",
    MAP_ID: None,
    TX_ID: None,
    TX_XY: None,
    SENSORS: [],
    SENSOR_SOURCE: "sampled",
    RATE: DEFAULT_RATE_PERCENT,
    SEED: DEFAULT_SEED,
    CLICK_MODE: MODE_ADD,
    MODELS: None,
    NOTICE: None,
    CHART_NONCE: 0,
    SAMPLED_FOR: None,
    AUTO_RUN: True,
    READOUT: READOUT_AUTO,
    TTA: False,
    SHOW_RADIO: True,
    RUNS: None,
    FIGURES: None,
}
ENV_DEFAULTS = {DATASET_DIR: "LOCNET_DATASET_DIR", CHECKPOINT_DIR: "LOCNET_CHECKPOINT_DIR"}
MAX_RUNS_KEPT = 24  # results memo per session (each holds a 256 KB heatmap)


def init_state(state: State) -> None:
    """Fill in every missing key with its default (never overwrites a user's choice).

    The default folders can be set with the environment variables LOCNET_DATASET_DIR
    and LOCNET_CHECKPOINT_DIR (e.g. to start the app on another dataset).
    """
    for key, value in DEFAULTS.items():
        if key not in state:
            value = os.environ.get(ENV_DEFAULTS[key], value) if key in ENV_DEFAULTS else value
            state[key] = list(value) if isinstance(value, list) else value
    if state[RUNS] is None:
        state[RUNS] = {}
    if state[FIGURES] is None:
        state[FIGURES] = {}


def snap_xy(x_m: float, y_m: float) -> tuple[int, int] | None:
    """A click position in metres -> the pixel (x, y) it falls on, or None if off the map."""
    if x_m is None or y_m is None or not np.isfinite(x_m) or not np.isfinite(y_m):
        return None
    x, y = round(x_m / PIXEL_M), round(y_m / PIXEL_M)
    if not (0 <= x < MAP_SIZE and 0 <= y < MAP_SIZE):
        return None
    return x, y


def effective_rate_percent(n_sensors: int) -> float:
    """Share of all MAP_SIZE**2 pixels that carry a sensor, in percent."""
    return 100.0 * n_sensors / N_PIXELS


def _is_building(buildings: np.ndarray, xy: tuple[int, int]) -> bool:
    return bool(buildings[xy[1], xy[0]])


def _touch(state: State) -> None:
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
    _touch(state)
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
    _touch(state)
    return None


def clear_sensors(state: State) -> None:
    state[SENSORS] = []
    state[SENSOR_SOURCE] = "manual"
    _touch(state)


def place_transmitter(state: State, buildings: np.ndarray, x_m: float, y_m: float) -> str | None:
    """Move the transmitter to the clicked outdoor pixel; its radio map is simulated live."""
    xy = snap_xy(x_m, y_m)
    if xy is None:
        return "That click is outside the 256 m x 256 m map."
    if _is_building(buildings, xy):
        return f"No transmitter at ({xy[0]}, {xy[1]}) m: that pixel is inside a building (transmitters stand outdoors)."
    state[TX_ID] = None
    state[TX_XY] = xy
    _touch(state)
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
    _touch(state)
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


def request_sampling(state: State) -> None:
    """The rate or seed changed, or "resample" was pressed: draw sensors again on next use."""
    state[SENSOR_SOURCE] = "sampled"
    state[SAMPLED_FOR] = None


def resample(state: State) -> None:
    """A new random draw at the same rate: next seed."""
    state[SEED] = int(state.get(SEED, DEFAULT_SEED)) + 1
    request_sampling(state)


def sampling_seed(seed: int, map_id: Any) -> list[int]:
    """Seed material of a draw: the user's seed and the map, so maps get different draws."""
    return [
        int(seed),
        int(map_id) if isinstance(map_id, (int, np.integer)) else zlib.crc32(str(map_id).encode()),
    ]


def ensure_sensors(
    state: State, buildings: np.ndarray, sample_mask: Callable[..., np.ndarray]
) -> bool:
    """Draw sensors when they are "sampled" and not yet drawn for (map, rate, seed).

    `sample_mask(buildings, rate_percent, rng)` is locnet.data.sampling.sample_mask. Manual
    and opened-case sensors are left alone. Returns True if sensors were drawn.
    """
    wanted = (state.get(MAP_ID), float(state[RATE]), int(state[SEED]))
    if state.get(SENSOR_SOURCE) != "sampled" or state.get(SAMPLED_FOR) == wanted:
        return False
    rng = np.random.default_rng(sampling_seed(wanted[2], wanted[0]))
    state[SENSORS] = mask_to_sensors(sample_mask(buildings, wanted[1], rng))
    state[SAMPLED_FOR] = wanted
    _touch(state)
    return True


def requested_readout(state: State) -> str | None:
    """The readout to show, or None for each model's calibrated default (inference's None)."""
    readout = state.get(READOUT, READOUT_AUTO)
    return None if readout == READOUT_AUTO or readout not in READOUT_CHOICES else readout


def run_key(base: tuple, tta: bool | None) -> tuple:
    """RUNS key of a model's result: `base` (case, model, checkpoint, device) plus the TTA
    setting, or None for a model without a posterior, whose answer TTA does not change.

    The readout is not part of it: a result holds every readout's answer, so switching
    readouts reruns no model, and switching TTA reruns only the heatmap models.
    """
    return (*base, None if tta is None else bool(tta))


def find_run(state: State, base: tuple, tta: bool) -> Any:
    """The remembered result of a model for this case and TTA setting, or None."""
    runs = state.get(RUNS) or {}
    point = runs.get(run_key(base, None))
    return point if point is not None else runs.get(run_key(base, tta))


def remember_run(state: State, key: tuple, run: Any) -> None:
    """Keep a model result for this session (oldest dropped beyond MAX_RUNS_KEPT)."""
    runs = state.get(RUNS) or {}
    runs[key] = run
    while len(runs) > MAX_RUNS_KEPT:
        runs.pop(next(iter(runs)))
    state[RUNS] = runs


def reuse_figure(
    state: State, slot: str, key: Hashable, build: Callable[[], Any], token: Any = None
) -> Any:
    """The figure drawn last time in chart `slot` if its inputs are unchanged, else `build()`.

    Unchanged means an equal `key` and the very same `token` object (e.g. the ModelRun whose
    heatmap is drawn: compared by identity, its arrays make `==` ambiguous). Building a
    plotly map costs several ms and most reruns (a toggle, another widget) change nothing
    on it; st.plotly_chart only reads the figure, so handing the same one out is safe.
    """
    figures = state.get(FIGURES)
    if figures is None:
        figures = state[FIGURES] = {}
    kept = figures.get(slot)
    if kept is not None and kept[0] == key and kept[1] is token:
        return kept[2]
    figure = build()
    figures[slot] = (key, token, figure)
    return figure


def select_map(state: State, map_id: Any) -> bool:
    """Choose another environment: forget the transmitter and sensors. True if changed."""
    if state.get(MAP_ID) == map_id:
        return False
    state[MAP_ID] = map_id
    state[TX_ID] = None
    state[TX_XY] = None
    state[SENSORS] = []
    request_sampling(state)
    _touch(state)
    return True


def select_transmitter(state: State, tx_id: Any) -> None:
    """Use one of the dataset's simulated transmitters; sensor positions are kept."""
    state[TX_ID] = tx_id
    state[TX_XY] = None
    _touch(state)


def open_case(
    state: State,
    *,
    dataset_dir: str | Any,
    map_id: Any,
    tx_id: Any,
    sensors_xy: Sequence[tuple[int, int]],
) -> None:
    """Make the Explorer show one case (other pages call this, then st.switch_page).

    `sensors_xy` are pixel (x, y) pairs; they are kept as given (not resampled) until the
    user changes the rate, the seed or the environment.
    """
    init_state(state)
    state[DATASET_DIR] = str(dataset_dir)
    state[MAP_ID] = map_id
    state[TX_ID] = tx_id
    state[TX_XY] = None
    state[SENSORS] = [(int(x), int(y)) for x, y in sensors_xy]
    state[SENSOR_SOURCE] = "case"
    state[NOTICE] = None
    _touch(state)


def case_key(state: State) -> tuple:
    """Hashable identity of the current case, to reuse results across reruns."""
    return (
        str(state.get(DATASET_DIR)),
        state.get(MAP_ID),
        state.get(TX_ID),
        state.get(TX_XY),
        tuple(state.get(SENSORS, [])),
    )
