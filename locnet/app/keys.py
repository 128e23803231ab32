"""Session-state keys and defaults of the app: one list for every handler that uses them.

Lasting state lives in these plain keys: widget keys are dropped when a page that does not
render the widget is shown (see docs/architecture.md, App). A leaf module, so the modules
that change the state (`state`, `clicks`) share one list of keys.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

State = MutableMapping[str, Any]

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
RUNS = "explorer_runs"  # {run_key(case, model, checkpoint, device, TTA): inference.Answer}, session only
FIGURES = "explorer_figures"  # {chart slot: (key, token, figure)}: the last figure of each chart
CASE_SOURCE = "explorer_case_source"  # SOURCE_DATASET, SOURCE_UPLOAD or SOURCE_REAL
UPLOADED = "explorer_uploaded_case"  # the last uploaded case (a UserCase or a CampaignCase) or None
EXAMPLE = "explorer_example"  # name of the example loaded by "Try an example", or None
TOUR_STEP = "tour_step"  # index of the guided tour's step shown, or None (no tour)
TOUR_FOLDER = "tour_folder"  # results folder the tour's cases come from
CHANCE = "explorer_chance"  # {model label: why it is at chance} of the picker's models
SEQUENCE = "explorer_sequence"  # {case and model key: sensors-one-by-one frames}, session only
REAL_SET = "explorer_real_set"  # the real source's samples: a POWDER split's test side or REAL_TWO_TX
REAL_SAMPLE = "explorer_real_sample"  # timestamp of the measured sample shown, or None (the first)
REAL_MODELS = "explorer_real_models"  # measurement models to run on it, or None (REAL_DEFAULT_MODELS)
REAL_POSTERIOR = "explorer_real_posterior"  # the model whose posterior is drawn, or None (the first)
REAL_BASEMAP = "explorer_real_basemap"  # street tiles under the map (the viewer's browser fetches them)
CASES_REAL = "cases_real"  # the Cases page shows the real measurements' samples (not a results folder's)
RESULTS_FOLDER_PREFIX = "results_folder:"  # + page name: each page's chosen results folder

SOURCE_DATASET = "dataset"
SOURCE_UPLOAD = "upload a case"
SOURCE_REAL = "real measurements"  # the POWDER dataset's measured samples (docs/real-data.md)
CASE_SOURCES = (SOURCE_DATASET, SOURCE_UPLOAD, SOURCE_REAL)
REAL_TWO_TX = "two transmitters"  # REAL_SET of the two-transmitter samples (shown, not solved)
REAL_DEFAULT_SET = "random"
REAL_DEFAULT_MODELS = ("rss-pathloss", "rss-knn", "rss-mlp")

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
    CASE_SOURCE: SOURCE_DATASET,
    UPLOADED: None,
    EXAMPLE: None,
    TOUR_STEP: None,
    TOUR_FOLDER: None,
    CHANCE: None,
    SEQUENCE: None,
    REAL_SET: REAL_DEFAULT_SET,
    REAL_SAMPLE: None,
    REAL_MODELS: None,
    REAL_POSTERIOR: None,
    REAL_BASEMAP: False,
    CASES_REAL: False,
}
ENV_DEFAULTS = {DATASET_DIR: "LOCNET_DATASET_DIR", CHECKPOINT_DIR: "LOCNET_CHECKPOINT_DIR"}
MAX_RUNS_KEPT = 24  # results memo per session (each holds a 256 KB heatmap)


def results_folder_key(page: str) -> str:
    """Plain session key of the results folder a page shows: one per page, so a folder
    chosen (or a re-run written) on one page does not take the other pages over."""
    return f"{RESULTS_FOLDER_PREFIX}{page}"
