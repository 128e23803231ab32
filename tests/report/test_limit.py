"""The physical-limit table: models beside simfit (exact parameters) on matched samples."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from locnet.errors import LocNetError
from locnet.evaluate.folders import ResultSet
from locnet.report.limit import LIMIT_LABEL, limit_markdown, limit_table


def samples(model: str, variant: str, readout: str, errors: dict[tuple[float, int], float]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"map": 0, "tx": 0, "rate_percent": rate, "mask": mask, "model": model,
             "variant": variant, "readout": readout, "error_m": error}
            for (rate, mask), error in errors.items()
        ]
    )


def result_set(folder: str, *tables: pd.DataFrame) -> ResultSet:
    return ResultSet(Path(folder), pd.DataFrame(), samples=pd.concat(tables, ignore_index=True))


@pytest.fixture
def folders():
    # the model folder has 2 masks per rate; the limit only mask 0
    locnet = samples("locnet", "env-focal", "mode", {(0.01, 0): 30.0, (0.01, 1): 1000.0, (0.05, 0): 8.0, (0.05, 1): 1000.0})
    strongest = samples("strongest", "default", "point", {(0.01, 0): 60.0, (0.05, 0): 20.0, (0.05, 1): 1.0})
    oracle = samples("simfit", "default", "mode", {(0.01, 0): 10.0, (0.05, 0): 2.0})
    return result_set("results/testset", locnet, strongest), result_set("results/testset-physics", oracle)


def test_models_are_compared_with_the_limit_on_the_same_samples_only(folders):
    table = limit_table(*folders).set_index(["model", "rate_percent"])
    assert table.loc[("simfit", 0.01), "is_limit"] and table.loc[("simfit", 0.01), "rmse_m"] == 10.0
    # the 1000 m answers on mask 1 are not in the limit's samples, so they do not count
    assert table.loc[("locnet", 0.01), "rmse_m"] == 30.0 and table.loc[("locnet", 0.01), "times_limit"] == 3.0
    assert table.loc[("strongest", 0.05), "times_limit"] == 10.0 and table.loc[("strongest", 0.05), "n"] == 1


def test_the_markdown_puts_the_limit_first_and_each_distance_beside_each_rmse(folders):
    text = limit_markdown(*folders)
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert LIMIT_LABEL in rows[1] and "**10.0**" in rows[1] and "**6.0**" in rows[1]
    assert rows[2].startswith("| LocNet (env-focal), mode |") and "30.0 (x3.0)" in rows[2] and "19.0 (x3.2)" in rows[2]
    assert "Strongest" in rows[3] and "20.0 (x10.0)" in rows[3]
    assert "oracle" in text


def test_a_limit_folder_without_simfit_is_refused_naming_it(folders):
    models, _ = folders
    with pytest.raises(LocNetError, match="holds no 'simfit' results"):
        limit_table(models, models)


def test_matched_compares_two_folders_on_the_samples_both_hold(folders):
    from locnet.report.limit import matched_markdown

    models, limit = folders
    text = matched_markdown(models, limit)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "%" not in line]
    assert rows[0].startswith("| Simulator fit") and rows[0].endswith("| 6.0 | 6.0 |")
    assert rows[1].startswith("| LocNet (env-focal), mode | 30.0 | 8.0 | 19.0 |")  # mask 1 left out
    assert "at least 1 per rate" in text
