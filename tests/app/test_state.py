"""Click and session logic of the app (locnet.app.state), without Streamlit."""

import numpy as np
import pytest

from locnet.app import state as S
from locnet.app.clicks import (
    add_sensor,
    clear_sensors,
    first_click,
    handle_click,
    place_transmitter,
    remove_sensor,
    snap_xy,
)
from locnet.app.keys import (
    CHART_NONCE,
    CHECKPOINT_DIR,
    CLICK_MODE,
    DATASET_DIR,
    DEFAULT_CHECKPOINT_DIR,
    DEFAULT_DATASET_DIR,
    DEFAULT_RATE_PERCENT,
    DEFAULT_SEED,
    MAP_ID,
    MAX_RUNS_KEPT,
    MODE_ADD,
    MODE_REMOVE,
    MODE_TRANSMITTER,
    RATE,
    READOUT,
    READOUT_AUTO,
    READOUT_CHOICES,
    RUNS,
    SEED,
    SENSOR_SOURCE,
    SENSORS,
    TTA,
    TX_ID,
    TX_XY,
)
from locnet.constants import MAP_SIZE, PIXEL_M
from locnet.data.sampling import n_sensors_for_rate, sample_mask


@pytest.fixture
def buildings() -> np.ndarray:
    """A map with one building block covering x, y in 100..149."""
    b = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
    b[100:150, 100:150] = 1
    return b


@pytest.fixture
def state() -> dict:
    s: dict = {}
    S.init_state(s)
    s[MAP_ID] = 3
    return s


def test_init_state_fills_defaults_without_overwriting():
    s = {RATE: 0.08}
    S.init_state(s)
    assert s[RATE] == 0.08
    assert s[DATASET_DIR] == DEFAULT_DATASET_DIR and s[SENSORS] == [] and s[RUNS] == {}
    s[SENSORS].append((1, 1))
    fresh: dict = {}
    S.init_state(fresh)
    assert fresh[SENSORS] == []  # sessions never share the default list


@pytest.mark.parametrize(
    ("x_m", "y_m", "expected"),
    [
        (10.4, 20.6, (10, 21)),
        (0.0, 0.0, (0, 0)),
        (255.4, 255.49, (255, 255)),
        (-0.6, 5.0, None),
        (256.0, 3.0, None),
        (float("nan"), 3.0, None),
    ],
)
def test_snap_xy_rounds_metres_to_pixels_and_rejects_off_map(x_m, y_m, expected):
    assert snap_xy(x_m * PIXEL_M, y_m * PIXEL_M) == expected


def test_add_sensor_on_outdoor_pixel(state, buildings):
    assert add_sensor(state, buildings, 10.2, 20.7) is None
    assert state[SENSORS] == [(10, 21)]
    assert state[SENSOR_SOURCE] == "manual"


def test_add_sensor_refused_on_building_with_message(state, buildings):
    message = add_sensor(state, buildings, 120, 130)
    assert "building" in message and "(120, 130)" in message
    assert state[SENSORS] == []


def test_add_sensor_refuses_duplicates_and_off_map(state, buildings):
    add_sensor(state, buildings, 5, 5)
    assert "already" in add_sensor(state, buildings, 5.3, 4.8)
    assert "outside" in add_sensor(state, buildings, 300, 5)
    assert state[SENSORS] == [(5, 5)]


def test_remove_sensor_takes_the_nearest_within_radius(state, buildings):
    for xy in [(10, 10), (14, 10), (60, 60)]:
        add_sensor(state, buildings, *xy)
    assert remove_sensor(state, 13, 11) is None
    assert state[SENSORS] == [(10, 10), (60, 60)]
    assert "No sensor within" in remove_sensor(state, 30, 30)
    assert state[SENSORS] == [(10, 10), (60, 60)]


def test_remove_sensor_without_sensors(state):
    assert "no sensors" in remove_sensor(state, 1, 1)


def test_clear_sensors(state, buildings):
    add_sensor(state, buildings, 1, 1)
    clear_sensors(state)
    assert state[SENSORS] == []


def test_place_transmitter_outdoor_and_refused_on_building(state, buildings):
    state[TX_ID] = 7
    assert place_transmitter(state, buildings, 40.4, 50.6) is None
    assert state[TX_ID] is None and state[TX_XY] == (40, 51)
    assert "building" in place_transmitter(state, buildings, 110, 110)
    assert state[TX_XY] == (40, 51)


def test_handle_click_dispatches_by_mode_and_refreshes_chart(state, buildings):
    nonce = state[CHART_NONCE]
    assert handle_click(state, buildings, 3, 4, MODE_ADD) is None
    assert handle_click(state, buildings, 120, 120, MODE_ADD) is not None  # refused ...
    assert state[CHART_NONCE] >= nonce + 2  # ... but the chart is still refreshed
    handle_click(state, buildings, 3, 4, MODE_REMOVE)
    assert state[SENSORS] == []
    state[CLICK_MODE] = MODE_TRANSMITTER
    handle_click(state, buildings, 30, 31)
    assert state[TX_XY] == (30, 31)
    with pytest.raises(ValueError, match="click mode"):
        handle_click(state, buildings, 1, 1, "teleport")


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ({"selection": {"points": [{"x": 12.0, "y": 40, "curve_number": 1}]}}, (12.0, 40.0)),
        ({"points": [{"x": 3, "y": 4}]}, (3.0, 4.0)),
        ({"selection": {"points": []}}, None),
        (None, None),
        ({"selection": {"points": [{"x": "a", "y": 1}]}}, None),
    ],
)
def test_first_click_reads_plotly_selection(event, expected):
    assert first_click(event) == expected


def test_effective_rate():
    assert S.effective_rate_percent(33) == pytest.approx(100 * 33 / MAP_SIZE**2)


def test_ensure_sensors_follows_rate_seed_and_map(state, buildings):
    assert S.ensure_sensors(state, buildings, sample_mask)
    first = list(state[SENSORS])
    assert len(first) == n_sensors_for_rate(DEFAULT_RATE_PERCENT)
    assert all(buildings[y, x] == 0 for x, y in first)
    assert not S.ensure_sensors(state, buildings, sample_mask)  # nothing changed: no redraw
    state[RATE] = 0.1
    S.request_sampling(state)
    assert S.ensure_sensors(state, buildings, sample_mask)
    assert len(state[SENSORS]) == n_sensors_for_rate(0.1)
    at_01 = list(state[SENSORS])
    S.resample(state)
    S.ensure_sensors(state, buildings, sample_mask)
    assert state[SEED] == DEFAULT_SEED + 1 and state[SENSORS] != at_01


def test_manual_sensors_survive_until_rate_changes(state, buildings):
    S.ensure_sensors(state, buildings, sample_mask)
    add_sensor(state, buildings, 2, 2)
    kept = list(state[SENSORS])
    assert not S.ensure_sensors(state, buildings, sample_mask)
    assert state[SENSORS] == kept


def test_select_map_resets_case_and_requests_sampling(state, buildings):
    S.ensure_sensors(state, buildings, sample_mask)
    state[TX_ID] = 2
    assert not S.select_map(state, 3)
    assert S.select_map(state, 4)
    assert state[SENSORS] == [] and state[TX_ID] is None and state[SENSOR_SOURCE] == "sampled"
    assert S.ensure_sensors(state, buildings, sample_mask)


def test_open_case_sets_everything_and_is_not_resampled(buildings):
    s: dict = {}
    S.open_case(s, dataset_dir="data/x", map_id=9, tx_id=4, sensors_xy=[(1, 2), (3, 4)])
    assert s[DATASET_DIR] == "data/x" and s[MAP_ID] == 9 and s[TX_ID] == 4
    assert s[SENSORS] == [(1, 2), (3, 4)] and s[SENSOR_SOURCE] == "case"
    assert not S.ensure_sensors(s, buildings, sample_mask)
    assert s[SENSORS] == [(1, 2), (3, 4)]


def test_case_key_changes_with_sensors_and_transmitter(state, buildings):
    key = S.case_key(state)
    add_sensor(state, buildings, 1, 1)
    assert S.case_key(state) != key
    key = S.case_key(state)
    place_transmitter(state, buildings, 9, 9)
    assert S.case_key(state) != key
    hash(S.case_key(state))


def test_remember_run_keeps_a_bounded_memo(state):
    for i in range(MAX_RUNS_KEPT + 5):
        S.remember_run(state, ("case", i), i)
    assert len(state[RUNS]) == MAX_RUNS_KEPT
    assert ("case", 0) not in state[RUNS] and ("case", MAX_RUNS_KEPT + 4) in state[RUNS]


def test_default_folders_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOCNET_DATASET_DIR", "/data/radiomapseer")
    monkeypatch.delenv("LOCNET_CHECKPOINT_DIR", raising=False)
    s: dict = {}
    S.init_state(s)
    assert s[DATASET_DIR] == "/data/radiomapseer"
    assert s[CHECKPOINT_DIR] == DEFAULT_CHECKPOINT_DIR


def test_reuse_figure_rebuilds_only_when_key_or_token_changes():
    state: dict = {}
    S.init_state(state)
    built = []

    def build(tag):
        def make():
            built.append(tag)
            return {"figure": tag}

        return make

    run_a, run_b = object(), object()
    first = S.reuse_figure(state, "map", ("case", 1), build("a"), token=run_a)
    assert S.reuse_figure(state, "map", ("case", 1), build("again"), token=run_a) is first
    assert built == ["a"]
    assert S.reuse_figure(state, "map", ("case", 2), build("b"), token=run_a) == {"figure": "b"}
    assert S.reuse_figure(state, "map", ("case", 2), build("c"), token=run_b) == {"figure": "c"}
    assert S.reuse_figure(state, "other", ("case", 2), build("d"), token=run_b) == {"figure": "d"}
    assert built == ["a", "b", "c", "d"]
    assert S.reuse_figure({}, "map", 1, build("e")) == {"figure": "e"}  # no FIGURES key yet


def test_readout_and_tta_default_to_auto_and_off(state):
    assert state[READOUT] == READOUT_AUTO and state[TTA] is False
    assert S.requested_readout(state) is None  # inference's None: the calibrated default
    state[READOUT] = "median"
    assert S.requested_readout(state) == "median"
    state[READOUT] = "nonsense"
    assert S.requested_readout(state) is None


def test_readout_choices_are_auto_then_the_posterior_readouts():
    from locnet.posterior.distribution import READOUTS

    assert READOUT_CHOICES == (READOUT_AUTO, *READOUTS)


def test_runs_are_found_by_tta_and_point_models_ignore_it(state):
    base = (S.case_key(state), "LocNet", "ckpt.pt", 1, "cpu")
    S.remember_run(state, S.run_key(base, False), "plain")
    assert S.find_run(state, base, False) == "plain"
    assert S.find_run(state, base, True) is None  # TTA on: LocNet runs again
    S.remember_run(state, S.run_key(base, True), "tta")
    assert S.find_run(state, base, True) == "tta" and S.find_run(state, base, False) == "plain"
    point = (S.case_key(state), "RSS centroid", "centroid", 0, "cpu")
    S.remember_run(state, S.run_key(point, None), "centroid")
    assert S.find_run(state, point, True) == S.find_run(state, point, False) == "centroid"
    hash(S.run_key(base, True))


def test_open_case_leaves_an_uploaded_case_and_sets_the_rate():
    """Issue #26: "Open in Explorer" showed the previously uploaded case."""
    from locnet.app.keys import CASE_SOURCE, SOURCE_DATASET, SOURCE_UPLOAD

    s: dict = {CASE_SOURCE: SOURCE_UPLOAD}
    S.open_case(s, dataset_dir="d", map_id=2, tx_id=1, sensors_xy=[(5, 6)], rate_percent=0.07)
    assert s[CASE_SOURCE] == SOURCE_DATASET and s[RATE] == 0.07
    assert S.case_key(s)[0] == "d"  # the dataset case, not the upload's digest


def test_open_map_shows_an_environment_with_sampled_sensors():
    from locnet.app.keys import CASE_SOURCE, SOURCE_DATASET, SOURCE_UPLOAD

    s: dict = {CASE_SOURCE: SOURCE_UPLOAD}
    S.open_map(s, dataset_dir="d", map_id=4)
    assert s[CASE_SOURCE] == SOURCE_DATASET and s[MAP_ID] == 4 and s[SENSOR_SOURCE] == "sampled"
    s[SENSORS] = [(1, 1)]
    s[SENSOR_SOURCE] = "manual"
    S.open_map(s, dataset_dir="d", map_id=4)  # the same map again: sensors drawn anew
    assert s[SENSOR_SOURCE] == "sampled"
