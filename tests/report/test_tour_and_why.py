"""The guided tour's case rules (report.tour_cases), the measured "why" of a case
(report.why), and the Cases page's views: one card per (map, transmitter), "confidently
wrong" = a narrow 90 % region that misses the truth."""

from __future__ import annotations

import numpy as np
import pandas as pd

from locnet.constants import FLOOR_DB, MAP_SIZE
from locnet.report.ranking import pick_cases
from locnet.report.readouts import CONFIDENT_RADIUS_M, confidently_wrong
from locnet.report.tour_cases import pick_tour_cases, tour_rate
from locnet.report.why import case_facts, why_lines


def _row(map_id, tx, model, error, *, rate=0.05, in90=1.0, radius=20.0, mask=0):
    point = model != "locnet"
    return {
        "map": str(map_id), "city": f"C{map_id}", "tx": tx, "mask": mask, "rate_percent": rate,
        "model": model, "variant": "env-focal" if model == "locnet" else "default",
        "readout": "point" if point else "mode", "pred_x": 0.0, "pred_y": 0.0,
        "true_x": 0.0, "true_y": 0.0, "error_m": float(error),
        "in90": np.nan if point else in90,
        "area90_m2": np.nan if point else np.pi * radius**2,
    }


def _case(map_id, tx, locnet, others, **kw):
    rows = [_row(map_id, tx, "locnet", locnet, **kw)]
    rate = kw.get("rate", 0.05)
    rows += [_row(map_id, tx, m, e, rate=rate) for m, e in zip(("centroid", "strongest"), others)]
    return rows


def test_tour_rules_pick_a_win_a_confident_failure_and_a_region_case():
    rows = []
    rows += _case(0, 0, 5.0, (60.0, 45.0))  # win: best classical 45 m
    rows += _case(0, 1, 8.0, (90.0, 80.0))  # a better win: best classical 80 m
    rows += _case(1, 0, 70.0, (5.0, 9.0), in90=0.0, radius=10.0)  # confidently wrong
    rows += _case(1, 1, 120.0, (5.0, 9.0), in90=0.0, radius=90.0)  # wrong but diffuse
    rows += _case(2, 0, 35.0, (30.0, 20.0), in90=1.0, radius=40.0)  # regions: holds the truth
    rows += _case(2, 1, 35.0, (30.0, 20.0), in90=1.0, radius=25.0)  # ... a smaller region
    rows += _case(3, 0, 2.0, (90.0, 95.0), rate=0.1)  # a bigger win, but at another rate
    picked = pick_tour_cases(pd.DataFrame(rows))
    assert (picked["win"].map, picked["win"].tx) == ("0", 1)
    assert picked["win"].best_classical == ("Strongest sensor", 80.0)
    assert (picked["fail"].map, picked["fail"].tx, picked["fail"].in90) == ("1", 0, False)
    assert (picked["regions"].map, picked["regions"].tx) == ("2", 1)
    assert picked["regions"].radius90_m == 25.0


def test_tour_rules_fall_back_to_other_rates_and_never_reuse_a_transmitter():
    rows = _case(0, 0, 5.0, (60.0, 45.0), rate=0.1) + _case(0, 0, 50.0, (5.0, 5.0), rate=0.05)
    samples = pd.DataFrame(rows)
    assert tour_rate(samples) == 0.05
    picked = pick_tour_cases(samples)
    assert picked["win"].rate_percent == 0.1  # no win at 0.05 %: the next rate
    assert "fail" not in picked  # the only other case is the same (map, transmitter)
    assert pick_tour_cases(samples[samples["model"] != "locnet"]) == {}


def test_confidently_wrong_needs_a_narrow_region():
    rows = pd.DataFrame(
        [_row(0, 0, "locnet", 80, in90=0.0, radius=10.0),
         _row(0, 1, "locnet", 90, in90=0.0, radius=CONFIDENT_RADIUS_M + 20),
         _row(0, 2, "locnet", 5, in90=1.0, radius=10.0)]
    )
    assert confidently_wrong(rows)["tx"].tolist() == [0]


def test_cases_show_one_card_per_map_and_transmitter():
    rows = pd.DataFrame(
        [_row(0, 0, "locnet", e, mask=k, rate=r) for k, (e, r) in enumerate([(90, 0.01), (80, 0.05)])]
        + [_row(0, 1, "locnet", 70), _row(1, 0, "locnet", 60)]
    )
    worst = pick_cases(rows, "locnet", "env-focal", "worst", k=8)
    assert list(zip(worst["map"], worst["tx"])) == [("0", 0), ("0", 1), ("1", 0)]
    assert worst["error_m"].tolist() == [90, 70, 60]


def test_why_measures_floor_readings_edge_second_peak_and_line_of_sight():
    buildings = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
    buildings[100:140, 60:64] = 1  # a wall between the transmitter and one sensor
    truth = (5.0, 120.0)  # 5 m from the west edge
    sensors = [(40, 120), (80, 120), (5, 160)]
    gains = [-100.0, FLOOR_DB, FLOOR_DB]
    posterior = np.zeros((MAP_SIZE, MAP_SIZE))
    posterior[120, 200] = 0.6  # the mode, far east
    posterior[120, 6] = 0.4  # a second peak next to the truth
    facts = case_facts(buildings, sensors, gains, truth, posterior)
    assert facts.n_sensors == 3 and facts.n_floor == 2
    assert facts.edge_m == 5.0 and facts.nearest_sensor_m == 35.0
    assert facts.n_line_of_sight == 2  # the sensor behind the wall does not see it
    assert facts.second_peak_xy == (6, 120) and facts.truth_at_second_peak
    assert abs(facts.second_peak_share - 0.4) < 1e-9
    lines = why_lines(facts)
    assert lines[0].startswith("2 of 3 sensors read the floor")
    assert "second peak 194 m away holds 40 % of the posterior and the transmitter is there" in lines[1]
    assert "5 m from the tile edge" in lines[2]
    assert "2 of 3 sensors see the transmitter directly" in lines[3]
    assert lines[4] == "Nearest sensor: 35 m from the transmitter."


def test_why_when_every_sensor_reads_the_floor_and_none_sees_it():
    buildings = np.zeros((MAP_SIZE, MAP_SIZE), dtype=np.uint8)
    buildings[:, 100:110] = 1
    facts = case_facts(buildings, [(200, 50), (220, 60)], [FLOOR_DB, FLOOR_DB], (50.0, 128.0), None)
    lines = why_lines(facts)
    assert lines[0].startswith("All 2 sensors read the floor")
    assert any("No sensor has a line of sight" in line for line in lines)
    assert facts.second_peak_share is None and any("(none close by)" in line for line in lines)
