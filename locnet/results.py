"""Result folders written by `python -m locnet evaluate`: load, validate, compare, rank.

A folder `results/NAME/` holds `summary.csv` (one row per model, variant and sampling
rate), `per_environment.csv`, `samples.parquet` (one row per test sample) and
`meta.json` (dataset, checkpoints, device, date, command). Errors are in metres
(one pixel = `PIXEL_M` m). Everything here is a pure function over those tables so the
app pages only display what it returns and tests can call it directly.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import ndimage

from locnet.constants import PIXEL_M
from locnet.errors import LocNetError

RESULTS_ROOT = Path("results")
ROOT_KEY, FOLDER_KEY = "results_root", "results_folder"  # plain st.session_state keys
ROOT_ENV = "LOCNET_RESULTS"  # environment variable naming another results root
SUMMARY_FILE, PER_ENV_FILE, SAMPLES_FILE, META_FILE = (
    "summary.csv",
    "per_environment.csv",
    "samples.parquet",
    "meta.json",
)
SUMMARY_COLUMNS = ("model", "variant", "rate_percent", "rmse_m", "mean_m", "median_m", "p90_m", "n")
PER_ENV_COLUMNS = (
    "model",
    "variant",
    "rate_percent",
    "map",
    "env_id",
    "city",
    "rmse_m",
    "mean_m",
    "n",
)
SAMPLE_COLUMNS = (
    "map",
    "env_id",
    "city",
    "tx",
    "mask",
    "rate_percent",
    "model",
    "variant",
    "pred_x",
    "pred_y",
    "true_x",
    "true_y",
    "error_m",
    "runtime_ms",
)
METRICS = {
    "rmse_m": "RMSE",
    "mean_m": "mean error",
    "median_m": "median error",
    "p90_m": "90th-percentile error",
}

DEFAULT_VARIANT = "default"  # every model except LocNet has one variant
LOCNET = "locnet"
ENV_VARIANT, NOENV_VARIANT = "env-focal", "noenv-focal"
LOSS_VARIANTS = {
    "env-focal": "Focal loss",
    "env-bbce": "Balanced BCE",
    "env-ft": "Focal Tversky",
    "env-mse": "MSE",
}
DISPLAY_NAMES = {
    "locnet": "LocNet",
    "mslocnet": "MSLocNet",
    "tldl": "TL;DL",
    "deepmtl": "DeepMTL",
    "deeptxfinder": "DeepTxFinder",
    "centre": "Map centre",
    "strongest": "Strongest sensor",
    "centroid": "RSS centroid",
    "pathloss": "Path-loss fit",
}

# The paper's RMSE in metres on RadioMapSeer (Le & Huang, PAKDD 2024). READ OFF THE
# PAPER'S FIGURES 3 AND 4, SO APPROXIMATE; rates the figures leave unread are absent.
PAPER_LABEL = "paper, RadioMapSeer"
PAPER_RMSE_M: dict[tuple[str, str], dict[float, float]] = {
    (LOCNET, ENV_VARIANT): {
        0.01: 41,
        0.02: 26,
        0.03: 18,
        0.04: 13,
        0.05: 10,
        0.06: 8,
        0.07: 6.5,
        0.08: 5.5,
        0.09: 5,
    },
    (LOCNET, NOENV_VARIANT): {0.01: 47, 0.09: 9},
    ("mslocnet", DEFAULT_VARIANT): {0.01: 108, 0.09: 33},
    ("tldl", DEFAULT_VARIANT): {0.01: 174, 0.09: 110},
    ("deeptxfinder", DEFAULT_VARIANT): {0.01: 126, 0.09: 126},  # about flat
    ("deepmtl", DEFAULT_VARIANT): {0.01: 187, 0.09: 160},
}
# Average RMSE over rates (Fig. 3b): the paper's headline values for LocNet and
# MSLocNet; for the others the mean of the two read-off endpoints above.
PAPER_AVERAGE_RMSE_M = {
    LOCNET: 18.0,
    "mslocnet": 62.0,
    "tldl": 142.0,
    "deeptxfinder": 126.0,
    "deepmtl": 173.5,
}
PAPER_PARAMETERS = {
    LOCNET: 128_743,
    "mslocnet": 310_000,
    "tldl": 31_000_000,
    "deepmtl": 61_500_000,
    "deeptxfinder": 67_400_000,
}


class ResultsError(LocNetError):
    """A results folder is missing, empty or malformed (message says how to make one)."""


def evaluate_command(
    data_dir: str | Path = "data/demo",
    out: str | Path = "results/demo",
    checkpoints: str | Path = "checkpoints",
    extra: str = "",
) -> str:
    """The exact shell command that writes a results folder for `data_dir` (`extra`: more flags)."""
    return (
        f"python -m locnet evaluate --data {data_dir} --split test --models all "
        f"--checkpoints {checkpoints} {extra + ' ' if extra else ''}--out {out}"
    )


@dataclass(frozen=True)
class ResultSet:
    """One results folder; per_environment / samples are None when the file is absent."""

    folder: Path
    summary: pd.DataFrame
    per_environment: pd.DataFrame | None = None
    samples: pd.DataFrame | None = None
    meta: dict = field(default_factory=dict)

    @property
    def dataset(self) -> dict:
        value = self.meta.get("dataset", {})
        return value if isinstance(value, dict) else {"path": str(value)}

    def source(self, what: str = SUMMARY_FILE) -> str:
        """One line naming where a plot's numbers come from (file, dataset, checkpoints, date)."""
        checkpoints = self.meta.get("checkpoints") or {}
        names = (
            sorted(checkpoints)
            if isinstance(checkpoints, dict)
            else [str(c.get("path", c)) if isinstance(c, dict) else str(c) for c in checkpoints]
        )
        parts = [
            f"`{self.folder / what}`",
            f"dataset `{self.dataset.get('path', '?')}`"
            + (f" (split {self.meta['split']})" if self.meta.get("split") else ""),
            "checkpoints " + (", ".join(f"`{n}`" for n in names) if names else "none"),
            f"evaluated {self.meta.get('date', 'on an unknown date')}",
        ]
        if self.meta.get("device"):
            parts.append(f"on {self.meta['device']}")
        return "Source: " + "; ".join(parts)


def results_root(state: Mapping) -> Path:
    """Where result folders live: the session's choice, else $LOCNET_RESULTS, else results/."""
    return Path(state.get(ROOT_KEY) or os.environ.get(ROOT_ENV) or RESULTS_ROOT)


def no_results_message(root: str | Path, dataset_dir: str | Path = "data/demo") -> str:
    """What to tell a user whose results folder is empty or missing."""
    return (
        f"No evaluation results under `{root}` yet. Produce them with:\n\n"
        f"```\n{evaluate_command(dataset_dir, Path(root) / Path(dataset_dir).name)}\n```"
    )


def folder_index(folders: list[Path], chosen: str | None) -> int:
    """Index of the folder named `chosen` (the user's last choice), else 0 = the newest."""
    names = [f.name for f in folders]
    return names.index(chosen) if chosen in names else 0


def folder_stamp(folder: str | Path) -> float:
    """Latest modification time (s) of a folder's files: a cache key that changes on rewrite."""
    paths = [p for p in Path(folder).glob("*") if p.is_file()]
    return max((p.stat().st_mtime for p in paths), default=0.0)


def _folder_date(folder: Path) -> float:
    try:
        date = json.loads((folder / META_FILE).read_text()).get("date", "")
        return datetime.fromisoformat(str(date)).timestamp()
    except (OSError, ValueError, TypeError, AttributeError):
        return (folder / SUMMARY_FILE).stat().st_mtime


def list_result_folders(root: str | Path = RESULTS_ROOT) -> list[Path]:
    """Sub-folders of `root` holding a summary.csv, newest first (meta.json date, else mtime)."""
    root = Path(root)
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if (p / SUMMARY_FILE).is_file()]
    return sorted(folders, key=lambda p: (_folder_date(p), p.name), reverse=True)


def _check_columns(table: pd.DataFrame, columns: tuple[str, ...], path: Path) -> pd.DataFrame:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ResultsError(
            f"{path} lacks column(s) {', '.join(missing)} (has: {', '.join(map(str, table.columns))}); "
            f"it was not written by this version of `python -m locnet evaluate` - re-run: "
            f"{evaluate_command(out=path.parent)}"
        )
    table = table.loc[:, list(columns)].copy()
    table["model"] = table["model"].astype(str)
    table["variant"] = table["variant"].fillna(DEFAULT_VARIANT).astype(str)
    return table


def load_results(folder: str | Path, stamp: float | None = None) -> ResultSet:
    """Read and validate a results folder. `stamp` is only a cache key (see folder_stamp)."""
    folder = Path(folder)
    summary_path = folder / SUMMARY_FILE
    if not summary_path.is_file():
        raise ResultsError(
            f"no {SUMMARY_FILE} in {folder}; produce one with: {evaluate_command(out=folder)}"
        )
    try:
        summary = _check_columns(pd.read_csv(summary_path), SUMMARY_COLUMNS, summary_path)
        per_env = samples = None
        if (folder / PER_ENV_FILE).is_file():
            per_env = _check_columns(
                pd.read_csv(folder / PER_ENV_FILE, dtype={"map": str, "city": str}),
                PER_ENV_COLUMNS,
                folder / PER_ENV_FILE,
            )
        if (folder / SAMPLES_FILE).is_file():
            samples = _check_columns(
                pd.read_parquet(folder / SAMPLES_FILE), SAMPLE_COLUMNS, folder / SAMPLES_FILE
            )
            samples["map"] = samples["map"].astype(str)
        meta = (
            json.loads((folder / META_FILE).read_text()) if (folder / META_FILE).is_file() else {}
        )
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as exc:
        if isinstance(exc, ResultsError):
            raise
        raise ResultsError(
            f"cannot read results in {folder}: {exc}; re-create them with: "
            f"{evaluate_command(out=folder)}"
        ) from exc
    numeric = ["rate_percent", "rmse_m", "mean_m", "median_m", "p90_m", "n"]
    if summary.empty or summary[numeric].apply(pd.to_numeric, errors="coerce").isna().any().any():
        raise ResultsError(
            f"{summary_path} is empty or has non-numeric metrics; re-create it with: "
            f"{evaluate_command(out=folder)}"
        )
    summary[numeric] = summary[numeric].astype(float)
    return ResultSet(folder, summary, per_env, samples, meta if isinstance(meta, dict) else {})


def dataset_mismatch(
    results: ResultSet,
    fingerprint: str | None,
    dataset_dir: str | Path,
    environments: pd.DataFrame | None = None,
) -> str | None:
    """A message if the results were computed on another dataset than the one now open.

    Fingerprints differ also when the same files were merely copied (mtimes), so when
    `environments` (the open dataset's map/city table) holds every (map, city) of the
    results, they count as the same dataset.
    """
    recorded = results.dataset.get("fingerprint")
    if not recorded or not fingerprint or recorded == fingerprint:
        return None
    if environments is not None and results.per_environment is not None:
        ours = set(
            zip(
                results.per_environment["map"].astype(str),
                results.per_environment["city"].astype(str),
            )
        )
        theirs = set(zip(environments["map"].astype(str), environments.get("city", "").astype(str)))
        if ours <= theirs:
            return None
    return (
        f"`{results.folder}` was computed on dataset `{results.dataset.get('path', '?')}` "
        f"(fingerprint {str(recorded)[:12]}), not on the open dataset `{dataset_dir}` "
        f"({str(fingerprint)[:12]}). Results for the open dataset: "
        f"`{evaluate_command(dataset_dir, RESULTS_ROOT / Path(dataset_dir).name)}`"
    )


def new_results_folder(
    root: str | Path = RESULTS_ROOT, prefix: str = "rerun", now: datetime | None = None
) -> Path:
    """A not-yet-existing, timestamped folder name under `root` (never an existing one)."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate, k = Path(root) / f"{prefix}-{stamp}", 1
    while candidate.exists():
        k += 1
        candidate = Path(root) / f"{prefix}-{stamp}-{k}"
    return candidate


def series_label(model: str, variant: str = DEFAULT_VARIANT) -> str:
    """Legend name, e.g. 'LocNet (noenv-focal)' or 'MSLocNet'."""
    name = DISPLAY_NAMES.get(model, model)
    return name if variant in (DEFAULT_VARIANT, "", None) else f"{name} ({variant})"


def series_options(table: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """Legend label -> (model, variant) of every series in `table`, in a fixed order:
    LocNet first, then the paper's baselines, classical ones, anything else; LocNet's
    ablation variants after its default (`env-focal`)."""
    models = list(DISPLAY_NAMES)
    variants = [ENV_VARIANT, NOENV_VARIANT, *LOSS_VARIANTS]

    def order(key: tuple[str, str]) -> tuple:
        model, variant = key
        return (
            variant not in (DEFAULT_VARIANT, ENV_VARIANT),
            models.index(model) if model in models else len(models),
            model,
            variants.index(variant) if variant in variants else len(variants),
            variant,
        )

    keys = sorted(set(zip(table["model"], table["variant"])), key=order)
    return {series_label(m, v): (m, v) for m, v in keys}


def paper_reference() -> pd.DataFrame:
    """The paper's approximate RMSE per (model, variant, rate): columns model, variant, rate_percent, rmse_m."""
    rows = [(m, v, r, e) for (m, v), curve in PAPER_RMSE_M.items() for r, e in curve.items()]
    return pd.DataFrame(rows, columns=["model", "variant", "rate_percent", "rmse_m"])


def average_over_rates(summary: pd.DataFrame, metric: str = "rmse_m") -> pd.DataFrame:
    """Mean of `metric` over sampling rates per (model, variant), best first (the paper's 'average RMSE')."""
    table = summary.groupby(["model", "variant"], as_index=False).agg(
        **{metric: (metric, "mean"), "n_rates": ("rate_percent", "nunique"), "n": ("n", "sum")}
    )
    return table.sort_values(metric, kind="stable").reset_index(drop=True)


def relative_improvement(
    summary: pd.DataFrame,
    baseline: tuple[str, str],
    improved: tuple[str, str],
    metric: str = "rmse_m",
) -> pd.DataFrame:
    """Per shared rate and on average: how many % lower `improved`'s metric is than `baseline`'s.

    Columns rate_percent (NaN on the 'average' row), baseline, improved, improvement_percent
    = (baseline - improved) / baseline * 100; empty if the two share no rate.
    """

    def curve(key: tuple[str, str]) -> pd.Series:
        rows = summary[(summary["model"] == key[0]) & (summary["variant"] == key[1])]
        return rows.groupby("rate_percent")[metric].mean()

    both = pd.concat({"baseline": curve(baseline), "improved": curve(improved)}, axis=1).dropna()
    if both.empty:
        return pd.DataFrame(columns=["rate_percent", "baseline", "improved", "improvement_percent"])
    both.loc[np.nan] = both.mean()
    both["improvement_percent"] = (both["baseline"] - both["improved"]) / both["baseline"] * 100
    return both.rename_axis("rate_percent").reset_index()


def select_series(table: pd.DataFrame, keys: list[tuple[str, str]]) -> pd.DataFrame:
    """Rows of `table` whose (model, variant) is in `keys`."""
    wanted = pd.MultiIndex.from_tuples(keys, names=["model", "variant"]) if keys else []
    return table[pd.MultiIndex.from_frame(table[["model", "variant"]]).isin(wanted)]


def rank_environments(
    per_env: pd.DataFrame, model: str, variant: str, rate_percent: float | None = None
) -> pd.DataFrame:
    """Per-environment RMSE (m) of one model, best first. rate None pools all rates
    (RMSE over all their samples: sqrt(sum n*rmse^2 / sum n))."""
    rows = per_env[(per_env["model"] == model) & (per_env["variant"] == variant)]
    if rate_percent is not None:
        rows = rows[np.isclose(rows["rate_percent"], rate_percent)]
    rows = rows.assign(sq=rows["rmse_m"] ** 2 * rows["n"], err=rows["mean_m"] * rows["n"])
    pooled = rows.groupby(["map", "env_id", "city"], as_index=False, dropna=False)[
        ["sq", "err", "n"]
    ].sum()
    pooled["rmse_m"] = np.sqrt(pooled["sq"] / pooled["n"])
    pooled["mean_m"] = pooled["err"] / pooled["n"]
    pooled = pooled.drop(columns=["sq", "err"]).sort_values(["rmse_m", "map"], kind="stable")
    return pooled.reset_index(drop=True)


def rank_cases(
    samples: pd.DataFrame,
    model: str,
    variant: str,
    rate_percent: float | None = None,
    cities: list[str] | None = None,
    worst: bool = False,
    k: int = 8,
) -> pd.DataFrame:
    """The k samples with the smallest (or largest) error in metres for one model."""
    rows = samples[(samples["model"] == model) & (samples["variant"] == variant)]
    if rate_percent is not None:
        rows = rows[np.isclose(rows["rate_percent"], rate_percent)]
    if cities:
        rows = rows[rows["city"].isin(cities)]
    rows = rows.sort_values(
        ["error_m", "map", "tx", "mask"], ascending=[not worst, True, True, True], kind="stable"
    )
    return rows.head(k).reset_index(drop=True)


def same_case(
    samples: pd.DataFrame, case: pd.Series | dict, model: str, variant: str
) -> pd.Series | None:
    """Another model's row for the same (map, tx, mask, rate) sample, or None if it was not evaluated."""
    rows = samples[
        (samples["map"] == case["map"])
        & (samples["tx"] == case["tx"])
        & (samples["mask"] == case["mask"])
        & np.isclose(samples["rate_percent"], case["rate_percent"])
        & (samples["model"] == model)
        & (samples["variant"] == variant)
    ]
    return None if rows.empty else rows.iloc[0]


def loss_comparison(summary: pd.DataFrame, metric: str = "rmse_m") -> pd.DataFrame:
    """LocNet's losses averaged over the rates they share with focal loss, best first.

    focal_better_percent = how many % lower focal loss's average is than this loss's.
    """
    rows = []
    for variant, name in LOSS_VARIANTS.items():
        imp = relative_improvement(summary, (LOCNET, variant), (LOCNET, ENV_VARIANT), metric)
        if not imp.empty:
            rows.append(
                (variant, name, imp["baseline"].iloc[-1], imp["improvement_percent"].iloc[-1])
            )
    table = pd.DataFrame(rows, columns=["variant", "loss", metric, "focal_better_percent"])
    return table.sort_values(metric, kind="stable").reset_index(drop=True)


def dataset_map_id(value):
    """A map id from a results table (text) as the dataset names it (an int when numeric)."""
    text = str(value)
    return int(text) if text.isdigit() else value


def _random_mask_seed(meta: Mapping, rate_percent: float) -> int | None:
    """The evaluation seed if meta.json says the masks at this rate were drawn, not read."""
    sources = meta.get("mask_source") or {}
    drawn = any(v == "random" and np.isclose(float(k), rate_percent) for k, v in sources.items())
    return int(meta.get("seed", 0)) if drawn else None


def case_sensors(
    dataset, case: pd.Series | dict, meta: Mapping | None = None
) -> list[tuple[int, int]] | None:
    """Sensor pixels (x, y) of one evaluated sample, or None if they cannot be recovered.

    `dataset` is a locnet.data.radiomapseer.RadioMapDataset. The mask is the file with
    the sample's (map, tx, mask index k) at its rate in the map's split; when meta.json
    says that rate's masks were drawn at random, the same seeded draw as
    locnet.evaluate's is repeated.
    """
    map_id, rate = dataset_map_id(case["map"]), float(case["rate_percent"])
    key = (map_id, int(case["tx"]), int(case["mask"]))
    split = dataset.split_of_map(map_id)
    seed = _random_mask_seed(meta or {}, rate)
    mask = None
    if seed is not None:
        from locnet.data.sampling import sample_mask
        from locnet.evaluate import RATE_KEY_SCALE

        rng = np.random.default_rng([seed, key[0], key[1], round(rate * RATE_KEY_SCALE), key[2]])
        mask = sample_mask(dataset.buildings(map_id), rate, rng)
    elif split is not None:
        ref = next(
            (r for r in dataset.mask_refs(split, rate) if (r.map_id, r.tx_id, r.k) == key), None
        )
        mask = None if ref is None else dataset.load_mask(ref)
    if mask is None:
        return None
    rows, cols = np.nonzero(mask)
    return [(int(c), int(r)) for r, c in zip(rows, cols)]


def model_parameters(models: list[str]) -> dict[str, int | None]:
    """Trainable-or-not parameter count of each registry model (default options); None if
    the model is unknown to the registry or cannot be built here."""
    from locnet.models import count_parameters, create_model

    counts: dict[str, int | None] = {}
    for name in models:
        try:
            counts[name] = count_parameters(create_model(name))
        except (LocNetError, ImportError, TypeError, RuntimeError):
            counts[name] = None
    return counts


def environment_statistics(buildings: np.ndarray) -> dict[str, float]:
    """Building density (fraction of pixels), open area (m^2) and number of blocks
    (4-connected building components) of one 0/1 building map."""
    mask = np.asarray(buildings) > 0
    _, n_blocks = ndimage.label(mask)
    return {
        "building_density": float(mask.mean()),
        "open_area_m2": float((~mask).sum() * PIXEL_M**2),
        "n_blocks": int(n_blocks),
    }


def environment_table(buildings_by_map: dict[str, np.ndarray]) -> pd.DataFrame:
    """environment_statistics for many maps: one row per map, column `map` first."""
    rows = [{"map": str(m), **environment_statistics(b)} for m, b in buildings_by_map.items()]
    return pd.DataFrame(rows, columns=["map", "building_density", "open_area_m2", "n_blocks"])
