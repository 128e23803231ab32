"""Result folders written by `python -m locnet evaluate`: find, load, validate, name.

A folder `results/NAME/` holds `summary.csv` (one row per model, variant, readout and
sampling rate), `per_environment.csv`, `samples.parquet` (one row per test sample and
readout: `mode`/`mean`/`median` for heatmap models, `point` for the others, with the
calibrated posterior's expected error, 50/90 % region areas and credible level) and
`meta.json` (dataset, checkpoints with their calibration, device, date, command). Errors
are in metres, areas in m^2. Folders written before readouts existed still load: each
model gets its one answer's readout (`legacy_readout`) and NaN posterior columns.
Problems a user can fix raise ResultsError whose message holds the command to run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path

import pandas as pd

from locnet.errors import LocNetError
from locnet.models.registry import DEFAULT_VARIANT, HEATMAP_OUTPUTS, model_info
from locnet.posterior.distribution import DEFAULT_READOUT, POINT_READOUT

RESULTS_ROOT = Path("results")
MAIN_FILE = "MAIN"  # names the results folder the pages open on (the README's table)
ROOT_KEY, FOLDER_KEY = "results_root", "results_folder"  # plain st.session_state keys
ROOT_ENV = "LOCNET_RESULTS"  # environment variable naming another results root
SUMMARY_FILE, PER_ENV_FILE, SAMPLES_FILE, META_FILE = (
    "summary.csv",
    "per_environment.csv",
    "samples.parquet",
    "meta.json",
)
SAMPLES_CSV = "samples.csv.gz"  # written instead of samples.parquet without a parquet engine
SERIES_COLUMNS = ("model", "variant", "readout", "rate_percent")  # one series' answer at a rate
# Columns the calibrated posterior adds (NaN for "point" rows and in folders written before).
SUMMARY_POSTERIOR_COLUMNS = ("coverage50", "coverage90", "expected_rmse_m", "median_area90_m2")
POSTERIOR_COLUMNS = ("expected_error_m", "area50_m2", "area90_m2", "credible_level", "in50", "in90")
SUMMARY_COLUMNS = (
    SERIES_COLUMNS + ("rmse_m", "mean_m", "median_m", "p90_m", "n") + SUMMARY_POSTERIOR_COLUMNS
)
PER_ENV_COLUMNS = SERIES_COLUMNS + ("map", "env_id", "city", "rmse_m", "mean_m", "n")
SAMPLE_COLUMNS = (
    ("map", "env_id", "city", "tx", "mask", "rate_percent", "model", "variant", "readout")
    + ("pred_x", "pred_y", "true_x", "true_y", "error_m", "runtime_ms")
    + POSTERIOR_COLUMNS
)


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


def folder_index(
    folders: list[Path], chosen: str | None, prefer: Callable[[Path], bool] | None = None
) -> int:
    """Index of the folder named `chosen` (the user's last choice), else 0 = the newest.

    With `prefer`, a page states what it needs (the Ablation page: LocNet variants): a
    last choice that lacks it gives way to the newest folder that has it, if any.
    """
    names = [f.name for f in folders]
    if chosen in names and (prefer is None or prefer(folders[names.index(chosen)])):
        return names.index(chosen)
    if prefer is not None:
        for i, folder in enumerate(folders):
            if prefer(folder):
                return i
    return names.index(chosen) if chosen in names else 0


def holds_series(folder: str | Path, series: list[tuple[str, str]]) -> bool:
    """Whether a folder's summary.csv has rows for every (model, variant) in `series`."""
    try:
        table = pd.read_csv(Path(folder) / SUMMARY_FILE, usecols=["model", "variant"])
    except (OSError, ValueError):
        return False
    present = set(zip(table["model"].astype(str), table["variant"].astype(str)))
    return all(tuple(s) in present for s in series)


def newest_file_mtime(folder: str | Path) -> float:
    """Latest modification time (s) of a folder's files: a cache key that changes on rewrite."""
    paths = [p for p in Path(folder).glob("*") if p.is_file()]
    return max((p.stat().st_mtime for p in paths), default=0.0)


def _folder_date(folder: Path) -> float:
    try:
        date = json.loads((folder / META_FILE).read_text()).get("date", "")
        return datetime.fromisoformat(str(date)).timestamp()
    except (OSError, ValueError, TypeError, AttributeError):
        return (folder / SUMMARY_FILE).stat().st_mtime


def main_folder_name(root: str | Path = RESULTS_ROOT) -> str | None:
    """The folder named in `root/MAIN` (the one behind the README's table), if any."""
    try:
        name = (Path(root) / MAIN_FILE).read_text().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return name or None


def list_result_folders(root: str | Path = RESULTS_ROOT) -> list[Path]:
    """Sub-folders of `root` holding a summary.csv: the main one (`root/MAIN`) first, then
    newest first (meta.json date, else mtime)."""
    root = Path(root)
    if not root.is_dir():
        return []
    folders = [p for p in root.iterdir() if (p / SUMMARY_FILE).is_file()]
    main = main_folder_name(root)
    newest = sorted(folders, key=lambda p: (_folder_date(p), p.name), reverse=True)
    return sorted(newest, key=lambda p: p.name != main)  # stable: main first, rest by date


def _fill_legacy(table: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """A table written before readouts existed: its one answer per model, no posterior."""
    table = table.copy()
    table["readout"] = [legacy_readout(m) for m in table["model"].astype(str)]
    for name in columns[columns.index("readout") + 1 :]:
        if name in SUMMARY_POSTERIOR_COLUMNS or name in POSTERIOR_COLUMNS:
            table[name] = float("nan")
    return table


def _check_columns(table: pd.DataFrame, columns: tuple[str, ...], path: Path) -> pd.DataFrame:
    if "readout" not in table.columns and "model" in table.columns:
        table = _fill_legacy(table, columns)
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
    table["readout"] = table["readout"].astype(str)
    extra = [c for c in columns if c in POSTERIOR_COLUMNS or c in SUMMARY_POSTERIOR_COLUMNS]
    if extra:
        table[extra] = table[extra].apply(pd.to_numeric, errors="coerce").astype(float)
    return table


def load_results(folder: str | Path, stamp: float | None = None) -> ResultSet:
    """Read and validate a results folder. `stamp` is only a cache key (see newest_file_mtime)."""
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
        samples_path = _samples_path(folder)
        if samples_path is not None:
            read = pd.read_parquet if samples_path.suffix == ".parquet" else pd.read_csv
            samples = _check_columns(read(samples_path), SAMPLE_COLUMNS, samples_path)
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


def _samples_path(folder: Path) -> Path | None:
    """samples.parquet, else the samples.csv.gz a machine without pyarrow wrote, else None."""
    for name in (SAMPLES_FILE, SAMPLES_CSV):
        if (folder / name).is_file():
            return folder / name
    return None


@lru_cache(maxsize=64)
def legacy_readout(model: str) -> str:
    """The readout of a row written before readouts existed: `mode` (the model's argmax)
    for a trained heatmap or two-stage model, `point` for the rest. Classical baselines
    have heatmap-shaped scores in the registry but no logits, hence no posterior."""
    try:
        info = model_info(model)
    except LocNetError:
        return POINT_READOUT
    if info.family == "classical" or info.output not in HEATMAP_OUTPUTS:
        return POINT_READOUT
    return DEFAULT_READOUT
