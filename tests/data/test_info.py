"""dataset-info: layout, counts per split and rate, cities and attribution."""

import json

from locnet.cli import main
from locnet.constants import OSM_ATTRIBUTION
from locnet.data.info import format_summary, summarize
from locnet.data.radiomapseer import open_dataset
from tests.conftest import TINY_CITIES, TINY_MASKS_PER_TX, TINY_RATES, TINY_TX


def test_text_output(tiny_dataset, capsys):
    assert main(["dataset-info", str(tiny_dataset)]) == 0
    out = capsys.readouterr().out
    assert "layout       authors" in out
    assert (
        f"{TINY_CITIES} environments x {TINY_TX} transmitters = {TINY_CITIES * TINY_TX} radio maps"
        in out
    )
    test_line = next(line for line in out.splitlines() if line.startswith("test "))
    n_test = open_dataset(tiny_dataset).samples_in("test")
    for rate in TINY_RATES:
        assert f"{rate:g}: {len(n_test) * TINY_MASKS_PER_TX}" in test_line
    assert "Helsinki" in out and "Florence" in out
    assert OSM_ATTRIBUTION in out


def test_json_counts_add_up(tiny_dataset, capsys):
    assert main(["dataset-info", str(tiny_dataset), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    splits = summary["splits"]
    assert (
        sum(s["radio_maps"] for s in splits.values())
        == summary["radio_maps"]
        == TINY_CITIES * TINY_TX
    )
    assert sum(s["maps"] for s in splits.values()) == summary["maps"]
    for split in ("train", "val"):
        assert splits[split]["masks"] == splits[split]["radio_maps"] * TINY_MASKS_PER_TX
        assert sum(splits[split]["masks_by_rate"].values()) == splits[split]["masks"]
    assert summary["transmitters_per_map"] == [TINY_TX, TINY_TX]


def test_flat_masks_not_scanned_on_request(tiny_dataset):
    summary = summarize(open_dataset(tiny_dataset), scan_masks=False)
    assert summary["splits"]["train"]["masks_rate_unread"] == summary["splits"]["train"]["masks"]
    assert "flat (--scan-masks)" in format_summary(summary)


def test_original_layout(tiny_dataset_original_layout, capsys):
    assert main(["dataset-info", str(tiny_dataset_original_layout)]) == 0
    out = capsys.readouterr().out
    assert "layout       original" in out and "environments (cities.csv)" not in out


def test_missing_dataset_is_one_line_error(tmp_path, capsys):
    assert main(["dataset-info", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and str(tmp_path / "none") in err
