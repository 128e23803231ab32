"""A real evaluation for the app and browser tests: `python -m locnet evaluate` (as a
function) on the tiny dataset with a given checkpoint folder, named the main folder."""

from __future__ import annotations

from pathlib import Path

from locnet.evaluate.folders import MAIN_FILE

FOLDER = "tiny-eval"
RATES = (0.01, 0.05, 0.1)


def evaluate_into(dataset: Path, checkpoints: Path, parent: Path) -> Path:
    """Evaluate every model on the test split (one mask per rate) into parent/results/FOLDER
    and write parent/results/MAIN; returns the results root (~15 s on two cores)."""
    from locnet.evaluate.run import evaluate
    from locnet.evaluate.tables import write_results

    root = parent / "results"
    evaluation = evaluate(
        dataset,
        split="test",
        models="all",
        checkpoint_dir=checkpoints,
        masks_per_tx=1,
        rates=RATES,
        device="cpu",
        command=f"python -m locnet evaluate --data {dataset} --out {root / FOLDER}",
    )
    write_results(evaluation, root / FOLDER)
    (root / MAIN_FILE).write_text(FOLDER + "\n")
    return root
