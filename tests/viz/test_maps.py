"""Figure builders (locnet.viz.maps, locnet.viz.posterior) and case downloads (locnet.viz.export)."""

import io

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from locnet.constants import (
    FLOOR_DB,
    MAP_SIZE,
    MAX_DB,
    OVERLAP_COLOR,
    PIXEL_M,
    PREDICTION_COLOR,
    SENSOR_COLOR,
    TRUTH_COLOR,
)
from locnet.inference import Answer, answer_row
from locnet.posterior.calibration import Calibration
from locnet.viz import maps as viz
from locnet.viz import posterior as viz_posterior
from locnet.viz.export import (
    PNG_SCALE,
    building_rgb,
    case_csv,
    case_png,
    case_table,
)
from locnet.viz.markers import OVERLAP_NAME, PREDICTION_NAME, SENSOR_NAME, TRUTH_NAME


@pytest.fixture
def buildings() -> np.ndarray:
    b = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
    b[100:150, 20:60] = 1
    return b


def _by_name(fig, name):
    """Traces called `name` (the sensor trace is named 'sensors (N)')."""
    return [
        t
        for t in fig.data
        if t.name == name or (name == SENSOR_NAME and (t.name or "").startswith(name + " ("))
    ]


def test_case_figure_markers_use_the_paper_colours(buildings):
    fig = viz.case_figure(
        buildings, sensors_xy=[(1, 2), (3, 4)], truth_xy=(10, 10), prediction_xy=(30, 40)
    )
    (sensors,) = _by_name(fig, SENSOR_NAME)
    (truth,) = _by_name(fig, TRUTH_NAME)
    (pred,) = _by_name(fig, PREDICTION_NAME)
    assert sensors.marker.color == SENSOR_COLOR and sensors.name == "sensors (2)"
    assert truth.marker.color == TRUTH_COLOR and pred.marker.color == PREDICTION_COLOR
    assert list(pred.x) == [30.0] and list(pred.y) == [40.0]
    assert not _by_name(fig, OVERLAP_NAME)


def test_prediction_on_the_truth_is_one_orange_marker(buildings):
    fig = viz.case_figure(
        buildings, sensors_xy=[(1, 2)], truth_xy=(10, 10), prediction_xy=(10.2, 9.9)
    )
    (overlap,) = _by_name(fig, OVERLAP_NAME)
    assert overlap.marker.color == OVERLAP_COLOR
    assert not _by_name(fig, TRUTH_NAME) and not _by_name(fig, PREDICTION_NAME)


def _image_mask(image) -> np.ndarray:
    """The building mask a layout image's PNG data URI holds (palette index 1 = building)."""
    import base64

    data = base64.b64decode(image.source.split(",", 1)[1])
    return np.asarray(Image.open(io.BytesIO(data))) == 1


def test_axes_are_metres_with_rows_going_down(buildings):
    fig = viz.case_figure(buildings)
    assert fig.layout.xaxis.title.text == "x (m)" and fig.layout.yaxis.title.text == "y (m)"
    assert fig.layout.yaxis.range[0] > fig.layout.yaxis.range[1]  # reversed: row 0 at the top
    assert fig.layout.yaxis.scaleanchor == "x"
    assert fig.layout.xaxis.range[1] == pytest.approx((MAP_SIZE - 0.5) * PIXEL_M)
    # fixed room for ticks and titles (checked in Chromium: test_explorer_browser.py)
    assert not fig.layout.xaxis.automargin and not fig.layout.yaxis.automargin
    assert (fig.layout.margin.l, fig.layout.margin.b) == (
        viz.AXIS_MARGIN_PX["l"],
        viz.AXIS_MARGIN_PX["b"],
    )
    (image,) = fig.layout.images  # the buildings: one small PNG, not a 256 x 256 heatmap
    assert np.array_equal(_image_mask(image), buildings != 0)
    assert (image.x, image.y, image.sizex, image.sizey) == (-0.5, -0.5, MAP_SIZE, MAP_SIZE)
    assert image.xref == "x" and image.yref == "y" and image.yanchor == "top"
    assert len(image.source) < 4000


def test_clickable_adds_an_invisible_grid_and_disables_drag(buildings):
    plain = viz.case_figure(buildings)
    fig = viz.case_figure(buildings, clickable=True)
    assert not _by_name(plain, viz.CLICK_GRID_NAME)
    (grid,) = _by_name(fig, viz.CLICK_GRID_NAME)
    assert grid.type == "scattergl" and grid.marker.opacity == 0
    side = len(range(0, MAP_SIZE, viz.CLICK_GRID_STEP_PX))
    assert len(grid.x) == side * side and float(np.max(grid.x)) <= MAP_SIZE - 1
    assert fig.layout.dragmode is False


def test_radio_layer_in_db_with_colour_bar_under_opaque_buildings(buildings):
    radio = np.full((MAP_SIZE, MAP_SIZE), -90.4, dtype=np.float32)
    fig = viz.case_figure(buildings, radio_db=radio)
    (layer,) = _by_name(fig, "radio map")
    z = np.asarray(layer.z)
    assert z.dtype == np.uint8 and z[0, 0] == 90  # whole dB of attenuation: -90 dB
    assert "-%{z} dB" in layer.hovertemplate and layer.reversescale
    assert layer.zmin == -MAX_DB and layer.zmax == -FLOOR_DB
    assert set(layer.colorbar.ticktext) >= {"-60", "-140"} and "dB" in layer.colorbar.title.text
    (image,) = fig.layout.images
    assert image.layer == "above" and image.opacity == 1.0  # buildings hide the radio layer


def test_score_layer_is_normalised_uint8_and_buildings_drawn_on_top(buildings):
    scores = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.float32)
    scores[5, 7] = 40.0
    fig = viz.case_figure(buildings, scores=scores, prediction_xy=(7, 5))
    z = np.asarray(fig.data[0].z)
    assert fig.data[0].name == "score" and z.dtype == np.uint8
    assert z[5, 7] == viz.SCORE_LEVELS and z.max() == viz.SCORE_LEVELS and z.min() == 0
    (image,) = fig.layout.images
    assert image.layer == "above" and 0 < image.opacity < 1  # over the score, see-through
    assert np.array_equal(viz.normalise_scores(np.ones((4, 4))), np.zeros((4, 4)))


def test_small_figures_send_block_maxima_so_a_peak_survives(buildings):
    scores = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.float32)
    scores[5, 7] = 1.0
    layer = viz.score_layer(scores, step=2)
    z = np.asarray(layer.z)
    assert z.shape == (MAP_SIZE // 2, MAP_SIZE // 2) and z[2, 3] == viz.SCORE_LEVELS
    assert (layer.x0, layer.dx) == (0.5 * PIXEL_M, 2 * PIXEL_M)  # cell k covers pixels 2k, 2k+1


def test_sensor_hover_shows_readings(buildings):
    fig = viz.case_figure(buildings, sensors_xy=[(1, 2), (3, 4)], gains_db=[-80.0, -120.5])
    (sensors,) = _by_name(fig, SENSOR_NAME)
    assert list(sensors.customdata) == [-80.0, -120.5] and "dB" in sensors.hovertemplate


def test_case_png_draws_the_map_and_markers(buildings):
    data = case_png(
        buildings,
        sensors_xy=[(5, 5)],
        truth_xy=(200, 200),
        predictions=[answer_row(Answer("LocNet", xy=(80.0, 200.0)), (200, 200))],
        title="t",
    )
    image = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    assert image.shape[1] == MAP_SIZE * PNG_SCALE and image.shape[0] > MAP_SIZE * PNG_SCALE
    centre = lambda x, y: image[int((y + 0.5) * PNG_SCALE), int((x + 0.5) * PNG_SCALE)]
    assert tuple(centre(5, 5)) == (0x00, 0xC8, 0x53)  # sensor green
    assert tuple(centre(200, 200)) == (0xD5, 0x00, 0x00)  # truth red
    assert tuple(centre(80, 200)) == (0xFF, 0xD6, 0x00)  # prediction yellow
    assert tuple(centre(40, 120)) == tuple(building_rgb(buildings)[120, 40])  # building


def test_case_csv_lists_every_point(buildings):
    kwargs = {
        "sensors_xy": [(5, 6), (7, 8)],
        "gains_db": [-90.0, -100.0],
        "truth_xy": (1, 2),
        "predictions": [
            answer_row(Answer("LocNet", xy=(1.0, 3.0), runtime_ms=12.5, device="cpu"), (1, 2))
        ],
    }
    table = pd.read_csv(io.BytesIO(case_csv(**kwargs)))
    assert list(table["kind"]) == ["sensor", "sensor", "truth", "prediction"]
    assert table.loc[3, "model"] == "LocNet" and table.loc[3, "error_m"] == 1.0
    assert table.loc[1, "gain_db"] == -100.0 and table.loc[0, "x_m"] == 5.0
    assert len(case_table(sensors_xy=[], gains_db=None, truth_xy=None)) == 0


def test_case_csv_gives_each_prediction_its_readout_and_uncertainty():
    answers = [
        Answer(
            "LocNet",
            xy=(1.0, 3.0),
            readout="mean",
            posterior=np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.float32),
            region_area_m2=(100.0, np.pi * 30.5**2),
            expected_error_m=17.25,
            calibration=Calibration(0.5, {}, "mean", {"split": "val", "n": 9}),
            tta=True,
            runtime_ms=12.5,
            device="cpu",
        ),
        Answer("RSS centroid", xy=(9.0, 9.0), readout="point"),
        Answer("DeepTxFinder", problem="no checkpoint"),  # failed: no position, left out
    ]
    points = [answer_row(a, (1, 2)) for a in answers]
    table = pd.read_csv(
        io.BytesIO(case_csv(sensors_xy=[], gains_db=None, truth_xy=(1, 2), predictions=points))
    )
    assert list(table["kind"]) == ["truth", "prediction", "prediction"]
    locnet, centroid = table.iloc[1], table.iloc[2]
    assert locnet["error_m"] == 1.0 and centroid["error_m"] == pytest.approx(10.63, abs=0.01)
    assert locnet["readout"] == "mean" and locnet["expected_error_m"] == 17.25
    assert locnet["radius_90_m"] == 30.5 and bool(locnet["tta"])
    assert locnet["calibration"].startswith("calibrated")
    assert centroid["readout"] == "point" and np.isnan(centroid["expected_error_m"])


def test_compact_coords_picks_the_smallest_exact_dtype():
    small = viz.compact_coords(np.array([0.0, 2.0, 254.0]))
    assert small.dtype == np.uint8 and list(small) == [0, 2, 254]
    assert viz.compact_coords(np.array([0.0, 300.0])).dtype == np.uint16
    for values in ([0.5, 1.0], [-2.0, 4.0], [0.0, 70_000.0], [np.nan, 1.0]):
        out = viz.compact_coords(np.array(values))
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, np.asarray(values, dtype=np.float32))


def test_click_grid_points_are_the_metre_grid_and_cached_read_only():
    x, y = viz.click_grid_xy(4)
    side = np.arange(0, MAP_SIZE, 4) * PIXEL_M
    gx, gy = np.meshgrid(side, side)
    np.testing.assert_array_equal(x, gx.ravel())
    np.testing.assert_array_equal(y, gy.ravel())
    assert viz.click_grid_xy(4)[0] is x and not x.flags.writeable
    with pytest.raises(ValueError):
        x[0] = 7


def test_heatmaps_place_pixel_i_at_i_metres(buildings):
    scores = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.float32)
    radio = np.full((MAP_SIZE, MAP_SIZE), -90.0, dtype=np.float32)
    layers = [
        *viz.case_figure(buildings, scores=scores).data[:1],
        *viz.case_figure(buildings, radio_db=radio).data[:1],
    ]
    for layer in (t for t in layers if t.type == "heatmap"):
        assert layer.x is None and layer.y is None  # no 256-value axis arrays to send
        positions = layer.x0 + layer.dx * np.arange(MAP_SIZE)
        np.testing.assert_allclose(positions, np.arange(MAP_SIZE) * PIXEL_M)
        assert (layer.y0, layer.dy) == (layer.x0, layer.dx)


def test_map_layout_is_a_square_map_and_clickable_disables_drag():
    layout = viz.map_layout(title="t", height=300, clickable=True)
    assert layout["dragmode"] is False and layout["height"] == 300
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["title"]["text"] == "t"
    assert viz.map_layout()["dragmode"] == "zoom" and viz.map_layout()["title"] is None


def _square_region(x0: int, y0: int, side: int) -> np.ndarray:
    mask = np.zeros((MAP_SIZE, MAP_SIZE), dtype=bool)
    mask[y0 : y0 + side, x0 : x0 + side] = True
    return mask


def _pieces(trace) -> list[np.ndarray]:
    """The (N, 2) xy pieces of a line trace, split at its NaN gaps."""
    xy = np.column_stack([np.asarray(trace.x, float), np.asarray(trace.y, float)])
    gaps = np.flatnonzero(np.isnan(xy[:, 0]))
    pieces = (p[~np.isnan(p[:, 0])] for p in np.split(xy, gaps))
    return [p for p in pieces if len(p)]


def test_region_contour_is_one_line_around_the_known_mask():
    mask = _square_region(30, 40, 5)  # x 30..34, y 40..44
    trace = viz_posterior.region_contour(mask, 0.9)
    assert trace.type == "scatter" and trace.mode == "lines" and trace.name == "90 % region"
    assert trace.showlegend and trace.hoverinfo == "skip"
    assert trace.line.color == viz_posterior.REGION_COLOR and trace.line.dash == "dash"
    (piece,) = _pieces(trace)
    assert (piece[0] == piece[-1]).all()  # closed
    # pixel i sits at i metres: the line runs on the pixel edges, half a pixel out
    assert piece[:, 0].min() == 29.5 * PIXEL_M and piece[:, 0].max() == 34.5 * PIXEL_M
    assert piece[:, 1].min() == 39.5 * PIXEL_M and piece[:, 1].max() == 44.5 * PIXEL_M
    assert len(piece) <= 9  # a square simplifies to its (cut) corners
    assert viz_posterior.region_contour(np.zeros_like(mask), 0.5) is None


def test_region_outline_of_a_disc_lies_on_its_circle():
    rows, cols = np.mgrid[:MAP_SIZE, :MAP_SIZE]
    disc = np.hypot(cols - 100, rows - 120) <= 20  # radius 20 px around (x 100, y 120)
    x, y = viz_posterior.outline_xy_m(disc)
    assert not np.isnan(x).any() and len(x) < 2 * np.pi * 20  # one piece, simplified
    radius_px = np.hypot(x / PIXEL_M - 100, y / PIXEL_M - 120)
    assert np.abs(radius_px - 20).max() <= 1.0
    ring = disc & (np.hypot(cols - 100, rows - 120) > 8)  # a hole: two closed pieces
    trace = viz_posterior.region_contour(ring, 0.5)
    radii = [np.hypot(p[:, 0] / PIXEL_M - 100, p[:, 1] / PIXEL_M - 120) for p in _pieces(trace)]
    assert sorted(round(float(np.median(r))) for r in radii) == [8, 20]


def test_region_outline_of_the_whole_map_runs_along_its_edge():
    x, y = viz_posterior.outline_xy_m(np.ones((MAP_SIZE, MAP_SIZE), dtype=bool))
    edge = (MAP_SIZE - 0.5) * PIXEL_M
    assert (x.min(), x.max(), y.min(), y.max()) == (-0.5 * PIXEL_M, edge, -0.5 * PIXEL_M, edge)
    assert len(x) <= 9
    empty_x, empty_y = viz_posterior.outline_xy_m(np.zeros((MAP_SIZE, MAP_SIZE), dtype=bool))
    assert empty_x.size == empty_y.size == 0


def test_region_contours_widest_first_with_their_own_dash():
    regions = np.stack([_square_region(30, 40, 3), _square_region(28, 38, 9)])
    contours = viz_posterior.region_contours(regions, (0.5, 0.9))
    assert [c.name for c in contours] == ["90 % region", "50 % region"]
    assert contours[0].line.dash != contours[1].line.dash
    assert np.nanmax(contours[0].x) == 36.5 and np.nanmax(contours[1].x) == 32.5


def test_region_line_skips_the_buildings_the_region_encloses():
    buildings = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
    buildings[12:15, 12:15] = 1  # a building inside the region ...
    buildings[10:13, 30:40] = 1  # ... and one beside it
    region = _square_region(10, 10, 7) & (buildings == 0)
    assert len(_pieces(viz_posterior.region_contour(region, 0.9))) == 2  # with its hole
    (piece,) = _pieces(viz_posterior.region_contour(region, 0.9, buildings))
    assert piece[:, 0].min() == 9.5 and piece[:, 0].max() == 16.5  # one line, the square's
    outline = viz_posterior.outline_mask(region, buildings)
    assert outline[12:15, 12:15].all() and not outline[10:13, 30:40].any()  # beside: outside


def test_posterior_figure_draws_regions_mode_mean_and_the_chosen_readout(buildings):
    scores = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.float32)
    scores[50, 60] = 1.0
    regions = np.stack([_square_region(58, 48, 5), _square_region(55, 45, 11)])
    readouts = {"mode": (60.0, 50.0), "mean": (61.5, 52.0), "median": (61.0, 51.0)}
    fig = viz_posterior.posterior_figure(
        buildings,
        scores,
        regions=regions,
        readouts=readouts,
        readout="mean",
        sensors_xy=[(1, 2)],
        truth_xy=(200, 200),
        prediction_xy=readouts["mean"],
        title="t",
        height=400,
    )
    names = [t.name for t in fig.data]
    assert names.index("score") < names.index("90 % region") < names.index("sensors (1)")
    assert [i.name for i in fig.layout.images] == ["buildings"]
    (pred,) = _by_name(fig, "prediction (mean)")
    assert pred.marker.color == PREDICTION_COLOR and list(pred.x) == [61.5]
    (mode,) = _by_name(fig, "mode (argmax)")
    (mean,) = _by_name(fig, "mean")
    assert (list(mode.x), list(mode.y)) == ([60.0], [50.0]) and list(mean.y) == [52.0]
    assert mode.marker.symbol != mean.marker.symbol
    assert names.index("mean") > names.index("prediction (mean)")  # on top of the diamond
    assert fig.layout.height > 400  # room for the longer legend, the map keeps its size
    assert fig.layout.margin.t > viz.map_layout(title="t")["margin"]["t"]
    assert fig.layout.xaxis.title.text == "x (m)"
    plain = viz_posterior.posterior_figure(
        buildings, scores, regions=None, readouts={}, readout="mode"
    )
    assert not [t for t in plain.data if "region" in t.name]


def test_a_map_figure_fits_the_payload_budget(buildings):
    """Issue #26: <= 1 MB per click with 3 models. plotly's JSON escapes every '/' of the
    base64 arrays, so the bytes are measured on the JSON Streamlit sends."""
    import plotly.io as pio

    rng = np.random.default_rng(0)
    radio = rng.uniform(-147, -48, (MAP_SIZE, MAP_SIZE)).astype(np.float32)
    scores = rng.random((MAP_SIZE, MAP_SIZE)).astype(np.float32)
    case_map = viz.case_figure(buildings, radio_db=radio, clickable=True)
    big = viz_posterior.posterior_figure(
        buildings, scores, regions=None, readouts={}, readout="mode"
    )
    small = viz_posterior.posterior_figure(
        buildings, scores, regions=None, readouts={}, readout="mode", score_step=2
    )
    sizes = [len(pio.to_json(f, validate=False)) for f in (case_map, big, small)]
    assert sizes[0] < 200_000 and sizes[1] < 150_000 and sizes[2] < 50_000, sizes
    assert sizes[0] + sizes[1] + 2 * sizes[2] < 1_000_000


def test_png_labels_of_models_answering_one_place_share_one_spot():
    from locnet.viz.export import label_groups

    groups = label_groups([(10, 10), (200, 50), (12, 11), (203, 52), (100, 100)])
    assert groups == [([1, 3], (10.0, 10.0)), ([2, 4], (200.0, 50.0)), ([5], (100.0, 100.0))]


def test_case_png_numbers_each_prediction_in_the_legend(buildings):
    rows = [answer_row(Answer(n, xy=(80.0, 200.0)), (200, 200)) for n in ("A", "B")]
    image = Image.open(io.BytesIO(case_png(buildings, sensors_xy=[], truth_xy=(200, 200), predictions=rows)))
    assert image.height == MAP_SIZE * PNG_SCALE + 28 * 4  # title, legend, one line per model


def test_sequence_figure_has_a_frame_per_sensor_with_play_and_slider(buildings):
    from locnet.app.sequence import SensorSequence
    from locnet.viz.sequence import sequence_error_figure, sequence_figure

    n = 4
    seq = SensorSequence(
        order=[(10, 10), (50, 60), (100, 100), (200, 30)],
        readout="mean",
        xy=np.array([[100.0, 100.0]] * n),
        errors_m=np.array([80.0, 40.0, 10.0, 5.0]),
        radius90_m=np.array([60.0, 30.0, 15.0, 8.0]),
        frames=np.zeros((n, 64, 64), dtype=np.uint8),
        baseline="RSS centroid",
        baseline_xy=np.array([[90.0, 90.0]] * n),
        baseline_errors_m=np.array([90.0, 50.0, 30.0, 20.0]),
    )
    fig = sequence_figure(buildings, seq, (104, 103))
    assert [f.name for f in fig.frames] == ["1", "2", "3", "4"]
    assert len(fig.frames[1].data[1].x) == 2  # two sensors in frame 2
    assert "2 sensors: LocNet 40.0 m, RSS centroid 50.0 m" in fig.frames[1].layout.title.text
    labels = [b.label for b in fig.layout.updatemenus[0].buttons]
    assert labels == ["▶ Play", "❚❚ Pause"] and len(fig.layout.sliders[0].steps) == n
    assert [t.marker.color for t in fig.data if t.name == "sensors"] == [SENSOR_COLOR]
    errors = sequence_error_figure(seq)
    assert list(errors.data[0].y) == [80.0, 40.0, 10.0, 5.0]
