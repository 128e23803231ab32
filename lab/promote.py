"""`python -m lab.promote`: make a finished training stage the shipped checkpoint.

A campaign stage trains with `--init-from checkpoints/locnet.pt --out STAGE.pt`. To ship
it, the current file moves to `checkpoints/stages/NAME.pt` and the stage takes its
place, with its record of where it started (`timings.init_from.file`) renamed to where
that file now lives, so the stage chain, the budget sums and the RMSE-vs-budget curve
stay whole (docs/training.md, "Promoting a stage"). Every step is an atomic write, in an
order where a crash at any point leaves both checkpoints readable somewhere.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from locnet import config_cli
from locnet.cli import run_module
from locnet.config_cli import option
from locnet.errors import CheckpointError, LocNetError
from locnet.files import atomic_write, ensure_writable_folder
from locnet.models import checkpoints as ckpt
from locnet.posterior.calibration import Calibration

CURRENT = "checkpoints/locnet.pt"


@dataclass(frozen=True)
class Promotion:
    """What promote_stage did: where the old file is kept and both files' new sha256."""

    current: Path
    kept_as: Path
    kept_sha256: str
    promoted_sha256: str
    removed: Path


def _record_label(path: Path) -> str:
    """The path written into the stage's init_from record: relative to the working
    directory (the repository root) when it lies under it, as the training commands give it."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def _check_paths(new: Path, keep_as: Path, current: Path) -> None:
    for flag, path in (("--new", new), ("--current", current)):
        if not path.is_file():
            raise LocNetError(f"{flag} {path} does not exist; give a checkpoint written by `train`")
    if new.resolve() == current.resolve():
        raise LocNetError(f"--new and --current are the same file ({new}); nothing to promote")
    if keep_as.suffix != ".pt" or keep_as.name.endswith(ckpt.RESUME_SUFFIX):
        raise LocNetError(f"--keep-as {keep_as}: give a .pt name that is not a resume file (*{ckpt.RESUME_SUFFIX})")
    if keep_as.exists():
        raise LocNetError(f"--keep-as {keep_as} already exists; choose a new stage name (nothing was changed)")


def _check_chain(new: Path, payload: dict, current: Path, force: bool) -> dict:
    """The stage's init_from record, after checking it started from `current` itself."""
    record = (payload.get("timings") or {}).get("init_from")
    if not isinstance(record, dict):
        raise LocNetError(
            f"{new} was trained from scratch, not from {current}; a stage must be trained "
            f"with `--init-from {current}`"
        )
    current_sha = ckpt.file_sha256(current)
    if record.get("sha256") != current_sha and not force:
        raise LocNetError(
            f"{new} started from {record.get('file')} (sha256 {str(record.get('sha256'))[:12]}…), "
            f"not from {current} as it is now ({current_sha[:12]}…); promote it onto the file it "
            f"was trained from, or add --force if {current} has only been re-calibrated since"
        )
    return record


def promote_stage(
    new: str | Path,
    keep_as: str | Path,
    current: str | Path = CURRENT,
    *,
    force: bool = False,
    allow_uncalibrated: bool = False,
) -> Promotion:
    """Keep `current` as `keep_as`, put stage `new` in its place (relabelled), remove `new`."""
    new, keep_as, current = Path(new), Path(keep_as), Path(current)
    _check_paths(new, keep_as, current)
    current_info, new_info = ckpt.checkpoint_info(current), ckpt.checkpoint_info(new)
    if (new_info.model, new_info.options) != (current_info.model, current_info.options):
        raise CheckpointError(
            f"{new} holds {new_info.model} {new_info.options}, {current} holds "
            f"{current_info.model} {current_info.options}; a stage replaces a file of its own model"
        )
    if not Calibration.from_dict(new_info.calibration).calibrated and not allow_uncalibrated:
        raise LocNetError(
            f"{new} is not calibrated; run `python -m locnet calibrate --checkpoint {new} "
            "--data data/demo` first (or --allow-uncalibrated)"
        )
    payload = ckpt.load_checkpoint(new)
    record = _check_chain(new, payload, current, force)
    ensure_writable_folder(  # a file in the way or a read-only folder: refused before any change
        keep_as.parent, "--keep-as", shown=keep_as, fix="choose another place (nothing was changed)"
    )
    atomic_write(keep_as, lambda tmp: shutil.copyfile(current, tmp))  # 1. a copy: current stays
    payload["timings"]["init_from"] = dict(record, file=_record_label(keep_as))
    ckpt.atomic_torch_save(payload, current)  # 2. the stage replaces it in one rename
    new.unlink()  # 3. its content now lives under `current`
    return Promotion(current, keep_as, ckpt.file_sha256(keep_as), ckpt.file_sha256(current), new)


@dataclass(frozen=True)
class PromoteConfig:
    """`python -m lab.promote`'s command line, one field per flag (locnet.config_cli)."""

    new: str = option(help="the finished stage (trained with --init-from CURRENT), removed once promoted")
    keep_as: str = option(help="new name of the current file, e.g. checkpoints/stages/locnet-stream2.pt")
    current: str = option(CURRENT, help="the shipped checkpoint the stage replaces")
    force: bool = option(False, help="promote even if CURRENT's sha256 is not the one NEW started from")
    allow_uncalibrated: bool = option(False, help="promote a stage that has no calibration")


def configure_parser(parser: argparse.ArgumentParser) -> None:
    config_cli.add_arguments(parser, PromoteConfig)


def run(args: argparse.Namespace) -> int:
    cfg = config_cli.from_args(PromoteConfig, args)
    done = promote_stage(
        cfg.new, cfg.keep_as, cfg.current, force=cfg.force, allow_uncalibrated=cfg.allow_uncalibrated
    )
    print(f"kept {done.current} as {done.kept_as} (sha256 {done.kept_sha256[:16]}…)")
    print(f"{done.current} is now the stage from {done.removed} (sha256 {done.promoted_sha256[:16]}…)")
    print("next: add the stage to LOCNET_STAGES in lab/recipes.py and its command to checkpoints/README.md")
    return 0


if __name__ == "__main__":
    sys.exit(run_module(sys.modules[__name__], sys.argv[1:], "python -m lab.promote"))
