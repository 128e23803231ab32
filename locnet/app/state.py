"""Pure session logic of the app: what a click, a slider or "open case" does to the state.

Every function takes the session state as a plain mutable mapping (st.session_state in
the app, a dict in tests) and returns a short user-facing message or None, so the
Streamlit pages stay thin and every interaction is unit-tested without a browser.

Coordinates are pixel indices (x = column, y = row). The state keys live in app_keys and
the map-click handlers (metres in, snapped to pixels) in app_clicks; both are re-exported.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np

# Keys, defaults and click handlers live in app_keys / app_clicks; re-exported here so
# callers keep writing `from locnet import app_state as S; S.SENSORS, S.handle_click(...)`.
from locnet.app.clicks import touch as _touch
from locnet.app.keys import (
    CASE_SOURCE,
    DATASET_DIR,
    DEFAULT_SEED,
    DEFAULTS,
    ENV_DEFAULTS,
    FIGURES,
    MAP_ID,
    MAX_RUNS_KEPT,
    NOTICE,
    RATE,
    READOUT,
    READOUT_AUTO,
    READOUT_CHOICES,
    RUNS,
    SAMPLED_FOR,
    SEED,
    SENSOR_SOURCE,
    SENSORS,
    SOURCE_DATASET,
    SOURCE_UPLOAD,
    TX_ID,
    TX_XY,
    UPLOADED,
    State,
)
from locnet.constants import N_PIXELS
from locnet.data.maps import mask_to_sensors


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


def effective_rate_percent(n_sensors: int) -> float:
    """Share of all MAP_SIZE**2 pixels that carry a sensor, in percent."""
    return 100.0 * n_sensors / N_PIXELS




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

    Unchanged means an equal `key` and the very same `token` object (e.g. the Answer whose
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


def open_map(state: State, *, dataset_dir: str | Any, map_id: Any) -> None:
    """Make the Explorer show an environment of the dataset with sampled sensors (the
    Environments page's thumbnails), whatever the case source was."""
    init_state(state)
    state[CASE_SOURCE] = SOURCE_DATASET
    state[DATASET_DIR] = str(dataset_dir)
    if not select_map(state, map_id):
        request_sampling(state)
    state[NOTICE] = None


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
    rate_percent: float | None = None,
) -> None:
    """Make the Explorer show one case of the dataset (other pages call this, then
    st.switch_page), switching the case source to the dataset if an upload was shown.

    `sensors_xy` are pixel (x, y) pairs; they are kept as given (not resampled) until the
    user changes the rate, the seed or the environment. `rate_percent` (the case's rate)
    sets the rate slider, so it shows the rate of the sensors on the map.
    """
    init_state(state)
    state[CASE_SOURCE] = SOURCE_DATASET  # an uploaded case shown before must not stay on
    state[DATASET_DIR] = str(dataset_dir)
    state[MAP_ID] = map_id
    state[TX_ID] = tx_id
    state[TX_XY] = None
    state[SENSORS] = [(int(x), int(y)) for x, y in sensors_xy]
    state[SENSOR_SOURCE] = "case"
    state[NOTICE] = None
    if rate_percent is not None:
        state[RATE] = float(rate_percent)
    _touch(state)


def case_key(state: State) -> tuple:
    """Hashable identity of the current case, to reuse results across reruns (an uploaded
    case: a hash of its map, readings and truth)."""
    if state.get(CASE_SOURCE) == SOURCE_UPLOAD and state.get(UPLOADED) is not None:
        return ("upload", state[UPLOADED].digest())
    return (
        str(state.get(DATASET_DIR)),
        state.get(MAP_ID),
        state.get(TX_ID),
        state.get(TX_XY),
        tuple(state.get(SENSORS, [])),
    )
